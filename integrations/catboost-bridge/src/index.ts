/**
 * @lolpop/catboost-bridge: the CatBoostModelTrainer. Importing this module registers the plugin;
 * Python starts only when a model is trained, or when a model that needs Python predicts.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { catboostModelTrainer } from "./catboost-model-trainer.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/catboost-bridge plugin (registered on import). */
export const catboostPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [catboostModelTrainer],
  }),
);

export default catboostPlugin;
// What users and plugin authors need: the component, its config (types, schema, defaults, the
// parameters it sets itself), the model class a fit returns and its saved files, the Python setup
// and the workers. The native scorer's internals and the params merge stay private.
export { SUPPORTED_LOSSES } from "./catboost-json-scorer.js";
export {
  CatBoostModel,
  type CatBoostModelMeta,
  CBM_FILE,
  JSON_FILE,
  META_FILE,
  MISSING_CATEGORY,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ScoringEngine,
} from "./catboost-model.js";
export { catboostModelTrainer } from "./catboost-model-trainer.js";
export {
  CATBOOST_TRAINER_TYPE,
  type CatBoostTrainerConfig,
  type CatBoostTrainingParams,
  catboostConfigSchema,
  DEFAULT_SEED,
  DEFAULT_TRAINING_PARAMS,
  RESERVED_PARAMS,
} from "./catboost-params.js";
export {
  CATBOOST_REQUIREMENTS_FILE,
  catboostRequirements,
  catboostWorker,
  closeCatBoostWorkers,
  SETUP_COMMAND,
} from "./catboost-worker.js";
export { type SetupCatBoostPythonOptions, setupCatBoostPython } from "./setup.js";
