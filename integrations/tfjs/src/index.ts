/**
 * @lolpop/tfjs: the TfjsModelTrainer (dense neural networks on TensorFlow.js). Importing this module
 * registers the plugin; TensorFlow.js itself is loaded on the first fit or load.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { setPackageInfo, tfjsModelTrainer } from "./tfjs-model-trainer.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };
setPackageInfo(pkg);

/** The @lolpop/tfjs plugin (registered on import). */
export const tfjsPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [tfjsModelTrainer],
  }),
);

export default tfjsPlugin;
// What users and plugin authors need: the component, its config (types, schema, defaults), the
// model class a fit returns with its saved files and metadata, and the backend checks. The training
// loop, the params merge and the tensor plumbing stay private.
export {
  ACTIVATIONS,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_SEED,
  DEFAULT_TRAINING_PARAMS,
  OPTIMIZERS,
  type TfjsTrainerConfig,
  type TfjsTrainingParamsInput,
  tfjsConfigSchema,
} from "./tfjs-config.js";
export {
  type EarlyStopping,
  type LayerSpec,
  META_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  MODEL_JSON_FILE,
  TFJS_TRAINER_TYPE,
  TfjsModel,
  type TfjsModelMeta,
  type TfjsParams,
  type TfjsTrainingParams,
  type TrainingSummary,
  WEIGHTS_FILE,
} from "./tfjs-model.js";
export { tfjsModelTrainer } from "./tfjs-model-trainer.js";
export type { EpochMetrics, ProgressMode } from "./tfjs-progress.js";
export {
  type BackendChoice,
  type BackendName,
  type BackendProbe,
  loadTf,
  probeBackend,
  TFJS_VERSION,
} from "./tfjs-runtime.js";
