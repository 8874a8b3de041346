import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

// setup.ts is its own entry: the lolpop-catboost-setup bin imports it.
// catboost-scoring-worker.ts is its own entry: native scoring starts it with `new Worker(url)`.
export default defineConfig(
  tsupConfig({ entry: ["src/index.ts", "src/setup.ts", "src/catboost-scoring-worker.ts"] }),
);
