import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

export default defineConfig({
  entry: { index: "src/index.ts", manifest: "src/manifest.ts", metrics: "src/metrics/index.ts" },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  define: { __LOLPOP_CORE_VERSION__: JSON.stringify(pkg.version) },
});
