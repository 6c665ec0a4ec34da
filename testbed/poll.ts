/**
 * A bounded HTTP poller, like a client behind a load balancer: every `intervalMs` (10 ms) a round
 * tries the nodes in turn (each round starts at the next node) until one answers 2xx. A round where
 * no node answered is a failure. It reports the failures and the longest gap between answers, for
 * Swarm e2e tests (host-mode ports on every node, no routing mesh) and the bench.
 *
 * Bounded: it stops after `durationMs` (at most 10 minutes), after `maxRequests`, or when stopped,
 * whichever comes first; each request has a timeout.
 *
 *   deno run -A testbed/poll.ts [--duration 10s] [--interval 10] [--timeout 1000] URL...
 *
 * prints the report as JSON (Ctrl-C stops early).
 */

export interface PollOptions {
  /** http://IP:port/ of each node. */
  readonly urls: readonly string[];
  /** From the start of one round to the start of the next (default 10). */
  readonly intervalMs?: number;
  /** The poller stops after this long (required; at most MAX_DURATION_MS). */
  readonly durationMs: number;
  /** The poller stops after this many requests (default: every round trying every node). */
  readonly maxRequests?: number;
  /** Per request (default 1000). */
  readonly timeoutMs?: number;
  /** Stops the poller early. */
  readonly signal?: AbortSignal;
}

export interface UrlStats {
  readonly url: string;
  readonly requests: number;
  readonly answers: number; // 2xx
  readonly errors: number; // anything else: refused, timed out, non-2xx
}

export interface PollReport {
  readonly rounds: number;
  /** Rounds where no node answered. */
  readonly failures: number;
  readonly requests: number;
  readonly answers: number;
  /**
   * The longest time without an answer (ms): between two answers, or from the last answer to the
   * end of the last failed round after it (an outage still going on at the end counts); the
   * whole run when nothing answered.
   */
  readonly longestGapMs: number;
  /** When that gap began, in ms from the start. */
  readonly longestGapAtMs: number;
  /** From the start to the first answer (ms); undefined when nothing answered. */
  readonly firstAnswerMs?: number;
  /** When the first failed round began (ms from the start). */
  readonly firstFailureMs?: number;
  readonly durationMs: number;
  readonly stoppedBy: "duration" | "maxRequests" | "stop";
  /** The answers' bodies (trimmed, 200 characters at most) each time they changed, in order. */
  readonly bodies: readonly string[];
  readonly perUrl: readonly UrlStats[];
  /** The first few failed requests: when (ms from the start), which URL, and why. */
  readonly errorSamples: readonly { atMs: number; url: string; why: string }[];
}

export interface Poller {
  /** The report so far (the poller goes on). */
  snapshot(): PollReport;
  /** Answers seen since `t` (a performance.now() time). */
  answersSince(t: number): number;
  /** Stop now and get the report. */
  stop(): Promise<PollReport>;
  /** The report, once the poller has stopped by itself (duration, maxRequests, signal). */
  readonly done: Promise<PollReport>;
}

export const MAX_DURATION_MS = 600_000;
const MAX_BODIES = 100;

/** Start polling; it runs in the background until its duration ends or it is stopped. */
export function startPoll(opts: PollOptions): Poller {
  if (opts.urls.length === 0) throw new Error("poll: no URLs");
  const interval = opts.intervalMs ?? 10;
  const timeout = opts.timeoutMs ?? 1000;
  if (!(interval > 0) || !(timeout > 0)) throw new Error("poll: interval and timeout must be > 0");
  if (!(opts.durationMs > 0) || opts.durationMs > MAX_DURATION_MS) {
    throw new Error(`poll: durationMs must be in (0, ${MAX_DURATION_MS}]`);
  }
  const maxRequests = opts.maxRequests ??
    (Math.ceil(opts.durationMs / interval) + 1) * opts.urls.length;

  const stopper = new AbortController();
  const onAbort = () => stopper.abort();
  opts.signal?.addEventListener("abort", onAbort);
  if (opts.signal?.aborted) stopper.abort();
  // a fresh connection per request: a kept-alive one to a task that is going away hides nothing
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

  const start = performance.now();
  const end = start + opts.durationMs;
  const stats = opts.urls.map((url) => ({ url, requests: 0, answers: 0, errors: 0 }));
  const answerTimes: number[] = [];
  const bodies: string[] = [];
  const errorSamples: { atMs: number; url: string; why: string }[] = [];
  let rounds = 0, failures = 0, requests = 0;
  let firstFailure: number | undefined;
  let lastFailureEnd = 0;
  let stoppedBy: PollReport["stoppedBy"] = "duration";
  let finishedAt: number | undefined;
  let next = 0;

  async function ask(i: number): Promise<boolean> {
    const s = stats[i];
    s.requests++;
    requests++;
    const signal = AbortSignal.any([
      stopper.signal,
      AbortSignal.timeout(Math.max(1, Math.min(timeout, end - performance.now()))),
    ]);
    try {
      const res = await fetch(s.url, { signal, client });
      const body = (await res.text()).trim().slice(0, 200);
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${body}`);
      s.answers++;
      answerTimes.push(performance.now());
      if (bodies.at(-1) !== body && bodies.length < MAX_BODIES) bodies.push(body);
      return true;
    } catch (e) {
      s.errors++;
      if (errorSamples.length < 5 && !stopper.signal.aborted) {
        const cause = (e as { cause?: unknown }).cause;
        const why = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)) +
          (cause ? ` (${cause instanceof Error ? cause.message : String(cause)})` : "");
        errorSamples.push({ atMs: Math.round(performance.now() - start), url: s.url, why });
      }
      return false;
    }
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        stopper.signal.removeEventListener("abort", done);
        resolve();
      }
      stopper.signal.addEventListener("abort", done);
    });

  const loop = (async () => {
    try {
      while (true) {
        const roundStart = performance.now();
        if (stopper.signal.aborted) {
          stoppedBy = "stop";
          break;
        }
        if (roundStart >= end) break;
        if (requests >= maxRequests) {
          stoppedBy = "maxRequests";
          break;
        }
        rounds++;
        let answered = false;
        for (let k = 0; k < opts.urls.length && !answered; k++) {
          if (requests >= maxRequests || stopper.signal.aborted) break;
          answered = await ask((next + k) % opts.urls.length);
        }
        next = (next + 1) % opts.urls.length;
        // a round cut short by the end or by stop() is not a failure
        if (!answered && !stopper.signal.aborted && performance.now() < end) {
          failures++;
          firstFailure ??= roundStart - start;
          lastFailureEnd = performance.now();
        }
        const wait = roundStart + interval - performance.now();
        if (wait > 0) await sleep(Math.min(wait, Math.max(0, end - performance.now())));
      }
    } finally {
      finishedAt = performance.now();
      opts.signal?.removeEventListener("abort", onAbort);
      client.close();
    }
    return report();
  })();

  function report(): PollReport {
    const now = finishedAt ?? performance.now();
    let gap = 0, gapAt = 0;
    let last = answerTimes.length ? answerTimes[0] : start;
    for (const t of answerTimes) {
      if (t - last > gap) [gap, gapAt] = [t - last, last - start];
      last = t;
    }
    // still without an answer at the end (failed rounds after the last answer): that gap counts
    const tail = answerTimes.length ? lastFailureEnd : now;
    if (tail - last > gap) [gap, gapAt] = [tail - last, last - start];
    return {
      rounds,
      failures,
      requests,
      answers: answerTimes.length,
      longestGapMs: Math.round(gap),
      longestGapAtMs: Math.round(gapAt),
      firstAnswerMs: answerTimes.length ? Math.round(answerTimes[0] - start) : undefined,
      firstFailureMs: firstFailure === undefined ? undefined : Math.round(firstFailure),
      durationMs: Math.round(now - start),
      stoppedBy,
      bodies: [...bodies],
      perUrl: stats.map((s) => ({ ...s })),
      errorSamples: [...errorSamples],
    };
  }

  return {
    snapshot: report,
    answersSince: (t) => {
      let n = 0;
      for (let i = answerTimes.length - 1; i >= 0 && answerTimes[i] >= t; i--) n++;
      return n;
    },
    stop: () => {
      stopper.abort();
      return loop;
    },
    done: loop,
  };
}

/** Poll for the whole duration (or until the signal) and report. */
export function poll(opts: PollOptions): Promise<PollReport> {
  return startPoll(opts).done;
}

function parseMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m) throw new Error(`not a duration: ${v}`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? "ms"] ?? 1);
}

if (import.meta.main) {
  const urls: string[] = [];
  let durationMs = 10_000, intervalMs = 10, timeoutMs = 1000;
  const args = [...Deno.args];
  while (args.length) {
    const a = args.shift()!;
    if (a === "--duration") durationMs = parseMs(args.shift() ?? "");
    else if (a === "--interval") intervalMs = parseMs(args.shift() ?? "");
    else if (a === "--timeout") timeoutMs = parseMs(args.shift() ?? "");
    else urls.push(a);
  }
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  const r = await poll({ urls, durationMs, intervalMs, timeoutMs, signal: stop.signal });
  console.log(JSON.stringify(r, null, 2));
  Deno.exit(0);
}
