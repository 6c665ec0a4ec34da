/** Asking before a change: never without a terminal (exit 2, nothing run), never hanging. */
import { UsageError } from "../core/errors.ts";
import type { Ui } from "../core/ui.ts";
import type { Stage } from "../config/stage.ts";

/** When and how a command asks. */
export interface AskOptions {
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  /** Ask whatever the stage's `confirm:` says (unlock). */
  readonly always?: boolean;
}

/** With no terminal to ask on and no --yes: exit 2 before any docker command (never hang). */
export function refuseWithoutTerminal(ui: Ui, stage: Stage, kind: string, o: AskOptions): void {
  if (o.yes || o.dryRun || !(stage.confirm || o.always) || ui.interactive) return;
  const hint = o.always
    ? `pass --yes to ${kind} without asking`
    : `pass --yes to ${kind} without asking (or set confirm: false in ${stage.file})`;
  throw new UsageError(
    `refusing to ${kind} ${stage.name} without confirmation: stdin is not a terminal`,
    { hint },
  );
}
