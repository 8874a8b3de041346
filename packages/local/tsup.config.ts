import { defineConfig } from "tsup";
import { buildCommonJs, tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(
  tsupConfig({
    // The CSV worker is its own entry: the table reader starts it with `new Worker(url)`.
    // The config checks too: `lolpop validate` imports them, not the plugin.
    entry: ["src/index.ts", "src/local-table-csv-worker.ts", "src/local-config-checks.ts"],
    dts: { entry: "src/index.ts" },
    // The checks also as stamped CommonJS (lolpop.configChecksCommonJs), which the CLI's code-cached
    // `validate` loads through a V8 code cache with its own copy of core.
    onSuccess: () => buildCommonJs({ "local-config-checks": "src/local-config-checks.ts" }, { stamp: true }),
  }),
);
