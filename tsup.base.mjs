// Shared tsup options of the workspace packages (each package's tsup.config.ts passes what differs):
// ESM only, with type declarations and source maps, for Node 20; `src/index.ts` is the entry.
/**
 * `checks` is a plugin's checks module (`src/<package>-config-checks.ts`, the manifest's
 * `lolpop.configChecks`): one more entry of the ES module build (`lolpop validate` imports it, not
 * the plugin), and also built as stamped CommonJS after it (`lolpop.configChecksCommonJs`, which
 * the CLI's code-cached `validate` loads through a V8 code cache with its own copy of core).
 * @param {import("tsup").Options & { checks?: string }} overrides
 */
export function tsupConfig({ checks, ...overrides } = {}) {
  const config = {
    entry: ["src/index.ts"],
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    ...overrides,
  };
  if (!checks) return config;
  const name = checks.replace(/^.*\//, "").replace(/\.ts$/, "");
  return {
    ...config,
    entry: [...config.entry, checks],
    onSuccess: () => buildCommonJs({ [name]: checks }, { stamp: true }),
  };
}

/**
 * Builds `entry` as CommonJS files (`dist/<name>.cjs`) after a package's main build (from its
 * `onSuccess`, so the main build's `clean` cannot remove them): no declarations, no source maps,
 * `import.meta.url` shimmed. With `stamp`, each output gets core's build stamp (`stampBuild` of
 * `@lolpop/core/code-cache`, from core's freshly built dist), which names its V8 code cache.
 * @param {Record<string, string>} entry
 * @param {import("tsup").Options & { stamp?: boolean }} options
 */
export async function buildCommonJs(entry, { stamp = false, ...options } = {}) {
  const { build } = await import("tsup");
  await build({
    config: false,
    entry,
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    platform: "node",
    target: "node20",
    shims: true,
    clean: false,
    dts: false,
    sourcemap: false,
    silent: true,
    ...options,
  });
  if (!stamp) return;
  const codeCache = new URL("./packages/core/dist/code-cache.js", import.meta.url).href;
  const { stampBuild } = await import(codeCache);
  for (const name of Object.keys(entry)) stampBuild(`dist/${name}.cjs`);
}
