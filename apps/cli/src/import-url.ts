/**
 * The one place the CLI imports a module by URL (a plugin's entry or checks module, an
 * orchestrator's module). Code compiled by `loadCommonJs` (the code-cached `validate` build) runs in
 * a `vm.Script`, where `import()` has no loader: its start sets one from an ES module.
 */
type Importer = (url: string) => Promise<unknown>;

let importer: Importer = (url) => import(url);

/** Imports the module at `url` (a `file:` URL). */
export function importUrl(url: string): Promise<unknown> {
  return importer(url);
}

/** Sets how {@link importUrl} imports (the code-cached `validate` build: its ES module start's `import`). */
export function setImporter(fn: Importer): void {
  importer = fn;
}
