import { copyFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build, defineConfig } from "tsup";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
// The bundled yaml's version keys the parsed-config cache (src/config/config-cache.ts).
const yamlPkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("yaml/package.json"), "utf8"));

export default defineConfig({
  entry: { index: "src/index.ts", manifest: "src/manifest.ts", metrics: "src/metrics/index.ts" },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  define: {
    __LOLPOP_CORE_VERSION__: JSON.stringify(pkg.version),
    __LOLPOP_YAML_VERSION__: JSON.stringify(yamlPkg.version),
  },
  // `yaml` bundled into one CommonJS file (dist/yaml-bundle.cjs) after the main build (so its
  // `clean` cannot remove it): lazy-deps.ts requires it instead of yaml's ~70 files.
  onSuccess: async () => {
    await build({
      config: false,
      entry: { "yaml-bundle": "src/yaml-bundle.cts" },
      format: ["cjs"],
      outExtension: () => ({ js: ".cjs" }),
      noExternal: ["yaml"],
      platform: "node",
      target: "node20",
      clean: false,
      dts: false,
      sourcemap: false,
      silent: true,
    });
    // yaml's license (ISC) travels with the copy of its code.
    const yamlDir = dirname(createRequire(import.meta.url).resolve("yaml/package.json"));
    copyFileSync(join(yamlDir, "LICENSE"), "dist/yaml-bundle.LICENSE");
  },
});
