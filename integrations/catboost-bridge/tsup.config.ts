import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

// setup.ts is its own entry: the lolpop-catboost-setup bin imports it.
export default defineConfig(tsupConfig({ entry: ["src/index.ts", "src/setup.ts"] }));
