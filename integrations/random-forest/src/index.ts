/**
 * @lolpop/random-forest: the RandomForestModelTrainer (ml-random-forest). Importing this module
 * registers the plugin; ml-random-forest itself is loaded on the first fit or load.
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
export {
  DEFAULT_SEED,
  DEFAULT_TRAINING_PARAMS,
  type MaxFeatures,
  MODEL_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  RANDOM_FOREST_TRAINER_TYPE,
  RandomForestModel,
  type RandomForestModelFile,
  type RandomForestParams,
  type RandomForestTrainerConfig,
  type RandomForestTrainingParams,
  randomForestConfigSchema,
  randomForestModelTrainer,
  resolveMaxFeatures,
  resolveTrainingParams,
} from "./random-forest-model-trainer.js";
