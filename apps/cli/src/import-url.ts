/**
 * The one place the CLI imports a module by URL (a plugin's entry or checks module, an
 * orchestrator's module). Code compiled by `loadCommonJs` (the code-cached `validate` build) runs in
 * a `vm.Script`, where `import()` has no loader: its start sets one from an ES module, and a loader
 * of CommonJS builds (plugins' `configChecksCommonJs`) through the same code cache.
 */
type Importer = (url: string) => Promise<unknown>;
type CommonJsLoader = (file: string) => unknown;

let importer: Importer = (url) => import(url);
let commonJsLoader: CommonJsLoader | undefined;

/** Imports the module at `url` (a `file:` URL). */
export function importUrl(url: string): Promise<unknown> {
  return importer(url);
}

/** Sets how {@link importUrl} imports (the code-cached `validate` build: its ES module start's `import`). */
export function setImporter(fn: Importer): void {
  importer = fn;
}

/**
 * The exports of the CommonJS build `file` (a path) when this CLI runs from its code-cached
 * `validate` build, which loads it with its own copy of core; undefined otherwise (the caller
 * imports the ES module instead). @throws what loading the file throws.
 */
export function loadCommonJsBuild(file: string): unknown {
  return commonJsLoader?.(file);
}

/** Sets how {@link loadCommonJsBuild} loads (the code-cached `validate` build's start). */
export function setCommonJsLoader(fn: CommonJsLoader): void {
  commonJsLoader = fn;
}
