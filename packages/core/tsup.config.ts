import { copyFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig } from "tsup";
import { buildCommonJs } from "../../tsup.base.mjs";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
// The bundled yaml's version keys the parsed-config cache (src/config/config-cache.ts).
const yamlPkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("yaml/package.json"), "utf8"));

const define = {
  __LOLPOP_CORE_VERSION__: JSON.stringify(pkg.version),
  __LOLPOP_YAML_VERSION__: JSON.stringify(yamlPkg.version),
};

export default defineConfig({
  entry: {
    index: "src/index.ts",
    manifest: "src/manifest.ts",
    metrics: "src/metrics/index.ts",
    checks: "src/checks.ts",
    "code-cache": "src/code-cache.ts",
  },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  define,
  // `yaml` bundled into one CommonJS file (dist/yaml-bundle.cjs) after the main build (so its
  // `clean` cannot remove it): lazy-deps.ts requires it instead of yaml's ~70 files.
  onSuccess: async () => {
    await buildCommonJs({ "yaml-bundle": "src/yaml-bundle.cts" }, { noExternal: ["yaml"], shims: false });
    // Core as one CommonJS file (dist/index.cjs, from src/commonjs.ts: every entry), stamped for its
    // V8 code cache: the CLI's `validate` start (CommonJS: an ES module costs ~3 ms each to resolve
    // and load on Node 20) requires dist/code-cache.cjs and loads index.cjs through its
    // `loadCommonJs`, which Node 20 can only do for CommonJS. Neither is in `exports` (the CLI finds
    // them next to package.json): importers get the ES modules, one copy of core.
    await buildCommonJs({ "code-cache": "src/code-cache.ts" });
    await buildCommonJs({ index: "src/commonjs.ts" }, { define, stamp: true });
    // yaml's license (ISC) travels with the copy of its code.
    const yamlDir = dirname(createRequire(import.meta.url).resolve("yaml/package.json"));
    copyFileSync(join(yamlDir, "LICENSE"), "dist/yaml-bundle.LICENSE");
  },
});
