/**
 * The inference bundle: what a model version holds so that predict, evaluate, the champion
 * comparison and serving replay exactly what was trained (bundle-format.ts: the files and
 * `lolpop-model.json`; input-schema.ts: the input schema and the rule that types input against it;
 * replay.ts: the one replay path).
 */
export {
  BUNDLE_FEATURE_TRANSFORMER_DIR,
  BUNDLE_FILE,
  BUNDLE_FORMAT,
  BUNDLE_MODEL_DIR,
  type BundleComponent,
  type ChallengerIdentity,
  type CodeFingerprint,
  formatOneNotice,
  type InferenceBundleMeta,
  type ReadBundleMeta,
  readBundleMeta,
  removeBundle,
  writeBundle,
} from "./bundle-format.js";
export {
  COLUMN_TYPINGS,
  type ColumnTyping,
  type ConformOptions,
  conformTable,
  describeColumns,
  type InputColumn,
  type InputSchema,
  type InputTyping,
  MAX_RECORDED_CATEGORIES,
  parseBoolText,
  parseDateText,
  parseNumberText,
  typingOf,
} from "./input-schema.js";
export {
  type BundleHost,
  type BundlePrediction,
  type InferenceBundle,
  type LoadBundleOptions,
  loadInferenceBundle,
  type ReplayOptions,
} from "./replay.js";
