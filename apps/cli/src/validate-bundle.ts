/**
 * Entry of the CLI's CommonJS `validate` build (`dist/validate-bundle.cjs`), which
 * `start.ts` loads through a V8 code cache with core's CommonJS build: the same modules as
 * `lolpop validate` in the ES module build, compiled once instead of at every start.
 */
import { writeLine } from "./format.js";
import { setCommonJsLoader, setImporter } from "./import-url.js";
import { runValidate } from "./validate-command.js";

/**
 * Runs `lolpop validate` for `argv` (the process's) when it is one of the plain forms; `importer`
 * imports plugins' modules (a `vm.Script` has no `import()` of its own), `loadBuild` loads their
 * CommonJS builds (checks modules) with this copy of core. Undefined: not handled.
 */
export function validate(
  argv: string[],
  importer: (url: string) => Promise<unknown>,
  loadBuild: (file: string) => unknown,
): Promise<number | undefined> {
  setImporter(importer);
  setCommonJsLoader(loadBuild);
  return runValidate(argv.slice(2), writeLine);
}
