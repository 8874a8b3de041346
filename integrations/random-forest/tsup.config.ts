import { defineConfig } from "tsup";
import { buildCommonJs, tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(
  tsupConfig({
    // The worker script is its own entry: the histogram engine starts it with `new Worker(url)`.
    // The config checks too: `lolpop validate` imports them, not the trainer.
    entry: ["src/index.ts", "src/random-forest-histogram-worker.ts", "src/random-forest-config-checks.ts"],
    dts: { entry: "src/index.ts" },
    // The checks also as stamped CommonJS (lolpop.configChecksCommonJs), which the CLI's code-cached
    // `validate` loads through a V8 code cache with its own copy of core.
    onSuccess: () =>
      buildCommonJs({ "random-forest-config-checks": "src/random-forest-config-checks.ts" }, { stamp: true }),
  }),
);
