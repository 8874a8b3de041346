/**
 * @lolpop/onnx: ONNX export for lolpop. A protobuf writer and reader for ONNX models (written from
 * onnx.proto), a builder for the graph pieces that models and feature transformers return from
 * `to_onnx()`, the composer that puts them into one model taking raw columns, and an optional
 * onnxruntime-node scorer. A library: it registers no components.
 */
export {
  attr,
  BATCH_DIM,
  DEFAULT_OPSETS,
  IR_VERSION,
  type NodeOptions,
  ONNX_ML_DOMAIN,
  PieceBuilder,
  tensor,
  tensorInfo,
} from "./onnx-builder.js";
export {
  type ComposeOptions,
  checkPiece,
  composeModel,
  FEATURES,
  LABEL,
  METADATA_KEYS,
  PREDICTION,
  PROBABILITIES,
} from "./onnx-compose.js";
export { OnnxExportError } from "./onnx-export-error.js";
export {
  EXPORT_FORMATS,
  EXPORT_METADATA_KEYS,
  type ExportBundleOptions,
  type ExportedModel,
  type ExportFormat,
  type ExportModelVersionOptions,
  type ExportRepository,
  exportBundle,
  exportForRegistration,
  exportModelVersion,
  ONNX_FILE,
  type RegistrationExport,
  writeExport,
} from "./onnx-export-version.js";
export {
  decodeModel,
  ELEMENT_TYPE_CODES,
  elementCount,
  encodeModel,
  type OnnxGraph,
  type OnnxGraphValue,
  type OnnxModel,
  type OnnxType,
} from "./onnx-model.js";
export {
  loadOnnxRuntime,
  type OnnxInput,
  OnnxScorer,
  type OnnxScorerOptions,
} from "./onnx-runtime.js";
export { withOnnxScoring } from "./onnx-scored-model.js";
