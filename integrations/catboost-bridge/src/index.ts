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
export {
  type CatBoostJsonModel,
  type CompileResult,
  compileCatBoostJson,
  lossName,
  type NativeScorer,
  type OutputTransform,
  outputTransformFor,
  SUPPORTED_LOSSES,
  transformRaw,
} from "./catboost-json-scorer.js";
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
  type ResolvedParams,
  resolveParams,
} from "./catboost-params.js";
export {
  CATBOOST_HANDLER_FILE,
  CATBOOST_REQUIREMENTS_FILE,
  catboostRequirements,
  catboostWorker,
  closeCatBoostWorkers,
  SETUP_COMMAND,
} from "./catboost-worker.js";
export { runSetupCli, type SetupCatBoostPythonOptions, setupCatBoostPython } from "./setup.js";
