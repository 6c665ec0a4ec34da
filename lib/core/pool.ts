/** Run async work over a list with a bound on how many run at once. */
import { InterruptedError } from "./errors.ts";

/**
 * Call `fn` on each item, at most `limit` at a time; one failing does not stop the others.
 * Once `signal` aborts, items not yet started are rejected with InterruptedError.
 * @example await runPool(["a", "b", "c"], 2, build) // [{ status: "fulfilled", value }, …]
 */
export async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        if (signal?.aborted) throw new InterruptedError("interrupted");
        results[i] = { status: "fulfilled", value: await fn(items[i]) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  const n = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}
