/**
 * `@lolpop/core/checks`: what a plugin's checks module (`lolpop.configChecks`) needs from core, and
 * nothing else: the errors, {@link configIssuesOf}, the shared config rules (training params, class
 * weights, the model-export plan check). `lolpop validate` imports a plugin's checks module without
 * the plugin, and without core's main entry when the CLI runs from its code-cached build: a checks
 * module that imports `@lolpop/core` itself loads all of core again (~20 ms of a validate).
 *
 * Everything here is stateless (no registry, no caches), and errors are recognized by brand
 * (`ConfigError.isInstance`), so a second copy of these modules in a process is harmless. The main
 * entry exports the same functions (the same modules).
 */
export * from "./errors.js";
export type { ClassWeight, ClassWeightRules } from "./kit/class-weight.js";
export { checkClassWeight, classWeightForRegression, classWeights } from "./kit/class-weight.js";
export { configIssuesOf } from "./kit/config-checks.js";
export type { MergedTrainingParams, TrainingParamsSpec } from "./kit/training-params.js";
export { mergeTrainingParams, pickSeed } from "./kit/training-params.js";
export {
  checkModelExportPlan,
  MODEL_EXPORT_CONFIG_PROPERTY,
  MODEL_EXPORT_FORMATS,
  type ModelExportFormat,
  SCORING_ENGINES,
  type ScoringEngine,
} from "./onnx-piece.js";
export type { ConfigCheckInfo, ConfigCheckIssue, PlanCheck } from "./plugin.js";
