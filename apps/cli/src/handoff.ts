/**
 * Hand-off from a globally installed `lolpop` to the project's own `@lolpop/cli` (the import-local
 * pattern): the project's CLI, core and plugins then come from one install. Uses only Node
 * built-ins, so deciding costs a few file lookups; the local CLI runs in this same process.
 */
import { createRequire } from "node:module";

// Built-ins by `require`: an ESM import of `node:fs` also loads streams (~4 ms of every start).
const require = createRequire(import.meta.url);
const { existsSync, realpathSync } = require("node:fs") as typeof import("node:fs");
const { dirname, join, resolve } = require("node:path") as typeof import("node:path");
const { fileURLToPath, pathToFileURL } = require("node:url") as typeof import("node:url");

/** Environment variable that disables the hand-off (set once a hand-off happened). */
export const NO_HANDOFF_ENV = "LOLPOP_NO_HANDOFF";
/** Environment variable naming the CLI folder that handed off (read by `plugins list` and `doctor`). */
export const HANDOFF_FROM_ENV = "LOLPOP_HANDOFF_FROM";

function packageRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The project's own `@lolpop/cli` folder when it is another copy than the running one. */
export function localCliDir(cwd: string, ownDir: string): string | undefined {
  const root = packageRoot(cwd);
  if (!root) return undefined;
  // Node's package lookup from the project root: node_modules folders up to the file system root.
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "@lolpop", "cli");
    if (existsSync(join(candidate, "package.json"))) {
      const local = realpathSync.native(candidate);
      return local === realpathSync.native(ownDir) ? undefined : local;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Runs the project's own CLI instead of this one when there is one. Returns true when it did (the
 * local CLI then owns the process and sets its exit code).
 */
export async function handOff(
  cwd = process.cwd(),
  ownDir = join(dirname(fileURLToPath(import.meta.url)), ".."),
): Promise<boolean> {
  if (process.env[NO_HANDOFF_ENV]) return false;
  const local = localCliDir(cwd, ownDir);
  if (!local) return false;
  const bin = join(local, "bin", "lolpop.js");
  if (!existsSync(bin)) return false;
  process.env[NO_HANDOFF_ENV] = "1";
  process.env[HANDOFF_FROM_ENV] = realpathSync(ownDir);
  await import(pathToFileURL(bin).href);
  return true;
}
