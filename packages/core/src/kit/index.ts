/**
 * The component-author kit: the helpers that model trainers, trackers, repositories and other
 * components need, in one place, so no integration writes its own copy. Exported from
 * `@lolpop/core` (pure functions and constants: importing them loads nothing else).
 *
 * - target: `checkProblemType`, `classesOf`, `encodeClasses`, `classificationTarget`,
 *   `regressionTarget`, `fitTarget`;
 * - training params: `mergeTrainingParams` (defaults, `training_params`, a tuner's `params`),
 *   `pickSeed`;
 * - class weights: `checkClassWeight`, `classWeightForRegression`, `classWeights`;
 * - predictions: `classificationPredictions`, `regressionPredictions`, `checkPredictFeatures`;
 * - randomness: `createRng`, `shuffleInPlace`, `permutation`;
 * - data files: `DEFAULT_NA_VALUES`;
 * - saved models: `readSavedModelFile`, `writeFileAtomic`, `writeJsonAtomic`;
 * - processes: `isProcessAlive` (lock owners, runs left by a killed process), `osUserName`;
 * - tracking vocabulary: `CHAMPION_ALIAS`, `MODEL_TAGS`, `RUN_TAGS`, `stringifyParam`;
 * - config checks: `configIssuesOf` (a throwing validator as a definition's `checkConfig`);
 * - terminal text: `stripControlChars`, `terminalJson` (data-derived text printed on a terminal);
 * - worker threads: `WorkerPool`, `withWorkerPool`, `resolveWorkerScript` (tasks split over threads,
 *   responses in task order, an idle pool kept for the next caller).
 */
export {
  type ClassWeight,
  type ClassWeightRules,
  checkClassWeight,
  classWeightForRegression,
  classWeights,
} from "./class-weight.js";
export { configIssuesOf } from "./config-checks.js";
export { DEFAULT_NA_VALUES } from "./data-files.js";
export { writeFileAtomic, writeJsonAtomic } from "./fs-atomic.js";
export { checkPredictFeatures } from "./predict-input.js";
export { classificationPredictions, regressionPredictions } from "./predictions.js";
export { isProcessAlive, osUserName } from "./process.js";
export { createRng, permutation, shuffleInPlace } from "./random.js";
export { readSavedModelFile, type SavedModelFile, type SavedModelFileSpec } from "./saved-model.js";
export {
  type ClassificationTarget,
  checkProblemType,
  classesOf,
  classificationTarget,
  encodeClasses,
  type FitTarget,
  fitTarget,
  regressionTarget,
} from "./target.js";
export { type StripControlOptions, stripControlChars, terminalJson } from "./terminal-text.js";
export { CHAMPION_ALIAS, MODEL_TAGS, RUN_TAGS, stringifyParam } from "./tracking.js";
export {
  type MergedTrainingParams,
  mergeTrainingParams,
  pickSeed,
  type TrainingParamsSpec,
} from "./training-params.js";
export {
  resolveWorkerScript,
  WorkerPool,
  type WorkerPoolRunOptions,
  type WorkerTask,
  withWorkerPool,
} from "./worker-pool.js";
