import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(
  tsupConfig({
    checks: "src/workflows-config-checks.ts",
    dts: { entry: "src/index.ts" },
  }),
);
