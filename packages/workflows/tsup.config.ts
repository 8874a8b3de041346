import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(
  tsupConfig({
    // The config checks are an entry of their own: `lolpop validate` imports them, not the plugin.
    entry: ["src/index.ts", "src/workflows-config-checks.ts"],
    dts: { entry: "src/index.ts" },
  }),
);
