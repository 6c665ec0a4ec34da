/** Writing an attempt's record (or its rollback's) into the history on the host. */
import { recordRelease, type Release } from "./history.ts";
import type { Attempt, Images } from "./types.ts";

/** What a record says beyond the attempt itself. */
export interface RecordInput extends Pick<Release, "kind" | "result"> {
  readonly images: Images;
  readonly note?: string;
  readonly model?: string;
  readonly id?: string;
}

/** Write a record of this attempt (or of its rollback) on the host. */
export function record(a: Attempt, r: RecordInput): Promise<void> {
  const services = Object.fromEntries(
    a.services.filter((s) => r.images[s]).map((s) => [s, r.images[s]]),
  );
  return recordRelease(a.deps, a.ctx.target, {
    ...a.meta,
    id: r.id ?? a.meta.id,
    project: a.ctx.project,
    kind: r.kind,
    result: r.result,
    services,
    note: r.note ?? a.sel.note,
    model: r.model ?? a.ctx.model,
  });
}

/** Write a record where failing to must not change what happens next (a rollback): a warning. */
export async function recordOrWarn(a: Attempt, r: RecordInput): Promise<void> {
  try {
    await record(a, r);
  } catch (e) {
    a.deps.ui.warn(`could not record ${r.id ?? a.meta.id} as ${r.result}: ${(e as Error).message}`);
  }
}
