/** Defaults that more than one place needs (the command line and the scripts run alone). */
export const DEFAULTS = {
  /** Seconds a deploy waits for running/healthy. */
  timeout: 120,
  /** Services built at once. */
  jobs: 3,
  /** Seconds a deploy waits for another deploy's lock. */
  lockWait: 0,
  /** Lines of each log `fleet logs` shows. */
  tail: "100",
} as const;
