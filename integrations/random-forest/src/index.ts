/**
 * @lolpop/random-forest: the RandomForestModelTrainer. Importing this module registers the plugin;
 * the engines load on first use (ml-random-forest on the first fit or load that needs it, worker
 * threads only while a large forest is fitted or a large table predicted).
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { randomForestModelTrainer } from "./random-forest-model-trainer.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/random-forest plugin (registered on import). */
export const randomForestPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [randomForestModelTrainer],
  }),
);

export default randomForestPlugin;
// What users and plugin authors need: the component, its config (types, schema, defaults), the
// model classes a fit returns and the saved-model file names and format. The engines' internals
// (binning, tree building, the forest's binary layout, the params merge) stay private.
export { MODEL_FILE, MODEL_FORMAT, MODEL_FORMAT_VERSION } from "./random-forest-data.js";
export {
  FOREST_FILE,
  HISTOGRAM_MODEL_FORMAT_VERSION,
  HistogramForestModel,
  type HistogramModelFile,
} from "./random-forest-histogram-engine.js";
export {
  ML_MODEL_FORMAT_VERSION,
  RandomForestModel,
  type RandomForestModelFile,
} from "./random-forest-ml-engine.js";
export { randomForestModelTrainer } from "./random-forest-model-trainer.js";
export {
  type ClassWeight,
  type Criterion,
  DEFAULT_ENGINE,
  DEFAULT_SEED,
  DEFAULT_TRAINING_PARAMS,
  ENGINES,
  type MaxFeatures,
  RANDOM_FOREST_TRAINER_TYPE,
  type RandomForestEngine,
  type RandomForestParams,
  type RandomForestTrainerConfig,
  type RandomForestTrainingParams,
  randomForestConfigSchema,
} from "./random-forest-params.js";
