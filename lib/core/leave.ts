/**
 * Whether this process opened something that can keep it alive after its command ends (a child
 * process, an HTTP client of the engine's socket, the terminal's input). The edge arms its exit
 * timer only then (lib/cli/edge.ts parseAndLeave): in Deno a timer loads the Node layer's
 * timers (~5 ms), which a command that opened nothing (stages, config, a dry run) does not pay.
 */
let held = false;

/** Note that something that can outlive the command was opened. */
export function holdsOpen(): void {
  held = true;
}

/** Whether anything that can outlive the command was opened. */
export function heldOpen(): boolean {
  return held;
}
