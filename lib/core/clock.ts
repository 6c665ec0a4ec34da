/** Waiting: the one real `sleep`, reached through `deps.sleep` so tests can skip the wait. */
import { InterruptedError } from "./errors.ts";

/** Resolve after `ms`, or reject at once on an interrupt. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError("interrupted"));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new InterruptedError("interrupted while waiting"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
