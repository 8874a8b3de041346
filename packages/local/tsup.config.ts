import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(
  tsupConfig({
    // The CSV worker is its own entry: the table reader starts it with `new Worker(url)`.
    entry: ["src/index.ts", "src/local-table-csv-worker.ts"],
    checks: "src/local-config-checks.ts",
    dts: { entry: "src/index.ts" },
  }),
);
