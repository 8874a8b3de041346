import { defineConfig } from "tsup";
import { buildCommonJs, tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(
  tsupConfig({
    // The config checks are an entry of their own: `lolpop validate` imports them, not the plugin.
    entry: ["src/index.ts", "src/workflows-config-checks.ts"],
    dts: { entry: "src/index.ts" },
    // The checks also as stamped CommonJS (lolpop.configChecksCommonJs), which the CLI's code-cached
    // `validate` loads through a V8 code cache with its own copy of core.
    onSuccess: () =>
      buildCommonJs({ "workflows-config-checks": "src/workflows-config-checks.ts" }, { stamp: true }),
  }),
);
