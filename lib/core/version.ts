/** fleet's version (kept in a module, not read from deno.json, so `deno compile` needs no file). */
export const VERSION = "0.1.0";
