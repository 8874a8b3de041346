import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(
  tsupConfig({
    // The worker script is its own entry: the histogram engine starts it with `new Worker(url)`.
    entry: ["src/index.ts", "src/random-forest-histogram-worker.ts"],
    checks: "src/random-forest-config-checks.ts",
    dts: { entry: "src/index.ts" },
  }),
);
