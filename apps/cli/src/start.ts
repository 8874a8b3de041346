/**
 * What `bin/lolpop.js` runs first, as CommonJS (`dist/start.cjs`: on Node 20 each ES module costs
 * ~3 ms to resolve and load): the hand-off to a project's own CLI, and `lolpop validate`.
 *
 * `lolpop validate` is the command a project runs most and the shortest: on Node 20,
 * which has no compile cache, parsing and compiling core and the CLI was most of its time. This
 * loads core's and the CLI's CommonJS builds (`@lolpop/core`'s `dist/index.cjs`,
 * `dist/validate-bundle.cjs`) through core's V8 code cache (`@lolpop/core/code-cache`), and
 * plugins' CommonJS checks modules (`lolpop.configChecksCommonJs`) the same way, runs the same
 * `runValidate` as the ES module build, and stores the code caches after the first run.
 *
 * Core loaded this way is a second copy next to any ES module copy a plugin imports; that is safe:
 * the registry lives on `globalThis` and errors are recognized by brand. When a build is missing
 * (running from source) or `LOLPOP_VALIDATE_BUILD=0`, the caller runs the ES module CLI instead.
 */
import { createRequire } from "node:module";
import type { loadCommonJs as LoadCommonJs } from "@lolpop/core/code-cache";

export { handOff } from "./handoff.js";

const require = createRequire(import.meta.url);
const { existsSync, realpathSync } = require("node:fs") as typeof import("node:fs");
const { dirname, join } = require("node:path") as typeof import("node:path");
const { fileURLToPath } = require("node:url") as typeof import("node:url");

/**
 * The `dist` folder of the `@lolpop/core` this CLI imports: Node's `node_modules` lookup from the
 * CLI's own (real) folder upwards, by file checks (`require.resolve` through core's `exports` cost
 * ~3 ms of a validate).
 */
function coreDistOf(cliDir: string): string | undefined {
  for (let dir = cliDir; ; dir = dirname(dir)) {
    const dist = join(dir, "node_modules", "@lolpop", "core", "dist");
    // Its real path, as Node's: core's own dependencies are found from there (pnpm links them
    // next to the real folder, not under the link).
    if (existsSync(dist)) return realpathSync.native(dist);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Core's CommonJS builds (its code cache and all of it) and the CLI's, or undefined when one is
 * missing (or core cannot be found: the ES module CLI then reports it as usual).
 */
function builds(): { codeCache: string; core: string; cli: string } | undefined {
  const distDir = dirname(fileURLToPath(import.meta.url));
  const coreDist = coreDistOf(dirname(distDir));
  if (!coreDist) return undefined;
  const files = {
    codeCache: join(coreDist, "code-cache.cjs"),
    core: join(coreDist, "index.cjs"),
    cli: join(distDir, "validate-bundle.cjs"),
  };
  return Object.values(files).every((f) => existsSync(f)) ? files : undefined;
}

/**
 * Runs `lolpop validate` from the code-cached builds when `argv` is one of its plain forms; returns
 * the exit code, or undefined when it did not run (other arguments, no builds, turned off).
 */
export async function startValidate(argv: string[]): Promise<number | undefined> {
  if (argv[2] !== "validate" || process.env.LOLPOP_VALIDATE_BUILD === "0") return undefined;
  const files = builds();
  if (!files) return undefined;
  const { loadCommonJs } = require(files.codeCache) as { loadCommonJs: typeof LoadCommonJs };
  const core = loadCommonJs(files.core);
  // Every `@lolpop/core` specifier of the CommonJS builds loaded below gets this copy of core.
  const modules = (core.exports as { commonJsModules?: Record<string, unknown> }).commonJsModules;
  if (!modules) return undefined; // a core built without it: the ES module CLI runs
  const cli = loadCommonJs(files.cli, { modules });
  const loaded = [core, cli];
  const { validate } = cli.exports as {
    validate: (
      argv: string[],
      importer: (url: string) => Promise<unknown>,
      loadBuild: (file: string) => unknown,
    ) => Promise<number | undefined>;
  };
  const code = await validate(
    argv,
    (url) => import(url),
    (file) => {
      const m = loadCommonJs(file, { modules });
      loaded.push(m);
      return m.exports;
    },
  );
  for (const m of loaded) m.storeCache();
  return code;
}
