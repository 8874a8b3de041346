/**
 * A piece of an ONNX graph as plain data: what `TrainedModel.to_onnx` and
 * `FeatureTransformer.to_onnx` return. Types only: `@lolpop/onnx` builds pieces, composes a
 * feature transformer's piece with a model's into one graph and writes the ONNX file; core holds
 * no ONNX code.
 *
 * The shapes follow the ONNX IR (onnx.proto): a node has an operator type, a domain, named inputs
 * and outputs and typed attributes; a tensor has an element type, dimensions and data.
 */

import type { PlanCheck } from "./plugin.js";

/** Element types of the tensors lolpop's exports read and write (ONNX `TensorProto.DataType`). */
export type OnnxElementType = "float" | "double" | "int64" | "int32" | "string" | "bool" | "uint8";

/**
 * The data of a tensor by element type: `float` Float32Array, `double` Float64Array, `int64`
 * BigInt64Array, `int32` Int32Array, `bool` and `uint8` Uint8Array, `string` an array of strings.
 */
export type OnnxTensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Uint8Array
  | readonly string[];

/** A constant tensor (an initializer, or the value of a `tensor` attribute). */
export interface OnnxTensor {
  name: string;
  type: OnnxElementType;
  /** Dimensions; `[]` for a scalar. The data holds their product of values, row-major. */
  dims: readonly number[];
  data: OnnxTensorData;
}

/** A typed attribute value of a node (ONNX `AttributeProto`). */
export type OnnxAttribute =
  | { type: "float"; value: number }
  | { type: "int"; value: number }
  | { type: "string"; value: string }
  | { type: "tensor"; value: OnnxTensor }
  | { type: "floats"; value: ArrayLike<number> }
  | { type: "ints"; value: ArrayLike<number> }
  | { type: "strings"; value: readonly string[] };

/** One operator call (ONNX `NodeProto`). */
export interface OnnxNode {
  /** Operator, e.g. `MatMul`, `TreeEnsembleClassifier`. */
  op_type: string;
  /** Operator set domain: `""` (default, the ONNX operators) or e.g. `ai.onnx.ml`. */
  domain?: string;
  /** Node name (unique in the graph when given). */
  name?: string;
  /** Value names read, in the operator's order; `""` skips an optional input. */
  inputs: string[];
  /** Value names written. */
  outputs: string[];
  attributes?: Record<string, OnnxAttribute>;
  /** Free text for people (shown by viewers such as Netron). */
  doc_string?: string;
}

/**
 * A typed tensor value at the boundary of a piece or graph (ONNX `ValueInfoProto` of a tensor type).
 * Each dimension is a number (fixed), a string (a named, symbolic size such as `N`) or null (unknown).
 */
export interface OnnxValueInfo {
  name: string;
  type: OnnxElementType;
  shape: ReadonlyArray<number | string | null>;
  doc_string?: string;
}

/**
 * A piece of an ONNX graph: nodes and constants that read `inputs` and produce `outputs`. Names
 * inside a piece are its own: a composer renames the internal ones so that pieces can share a
 * graph. What a piece's inputs and outputs are called, and mean, is set by the method that returns
 * it (`TrainedModel.to_onnx`, `FeatureTransformer.to_onnx`).
 */
export interface OnnxGraphPiece {
  /** Values the piece reads from outside (graph inputs, or the outputs of the piece before it). */
  inputs: OnnxValueInfo[];
  /** Values it produces. */
  outputs: OnnxValueInfo[];
  nodes: OnnxNode[];
  /** Constant tensors read by name by the nodes. */
  initializers: OnnxTensor[];
  /** Operator sets the nodes need: domain (`""` for the default domain) to version. */
  opsets: Record<string, number>;
  /** Names of the columns of the `features` tensor the piece produces or reads, in order. */
  feature_names?: string[];
  /** Notes for people: what the piece does, limits such as float32 arithmetic. */
  doc_string?: string;
}

/** Options of a `to_onnx` call. */
export interface OnnxExportOptions {
  /** Aborts an export that calls out (e.g. to Python). */
  signal?: AbortSignal;
}

/**
 * The model repositories' plan check for `export: [onnx]`: a workflow with a data_transformer
 * (replayed from the bundle before the feature transformer) trains versions ONNX cannot express,
 * so `validate` reports it at `<repository>.config.export` instead of the registration failing.
 */
export const checkModelExportPlan: PlanCheck = (plan, self) => {
  const all = [...plan.components, ...plan.pipelines.flatMap((p) => p.components)];
  const repo = all.find((c) => c.path === self.path);
  const formats = repo?.config.export;
  if (!Array.isArray(formats) || !formats.includes("onnx")) return [];
  const transformer = all.find((c) => c.kind === "data_transformer");
  if (!transformer) return [];
  return [
    {
      path: [...self.path.split("."), "config", "export"],
      code: "export_unsupported",
      message: `export: [onnx] cannot export the versions this workflow trains: they replay the data_transformer ${transformer.path} (${transformer.type}) before the feature transformer, and ONNX cannot express lolpop data transformers. Remove onnx from export, or move that work into the feature transformer and drop the data_transformer.`,
    },
  ];
};

/** Formats a model repository can export a version to at registration (`export:` option). */
export const MODEL_EXPORT_FORMATS = ["onnx"] as const;
/** One of {@link MODEL_EXPORT_FORMATS}. */
export type ModelExportFormat = (typeof MODEL_EXPORT_FORMATS)[number];

/**
 * The `export` config property of the model repositories (one schema for all of them): formats to
 * write beside the version's files at registration. Default `[]` (none).
 */
export const MODEL_EXPORT_CONFIG_PROPERTY: Readonly<Record<string, unknown>> = Object.freeze({
  type: "array",
  items: { type: "string", enum: [...MODEL_EXPORT_FORMATS] },
  uniqueItems: true,
  default: [],
  description:
    "Formats to export each version to at registration, stored with the version: onnx writes model.onnx (feature transformer + model in one graph, taking the raw feature columns; needs @lolpop/onnx). A version that cannot be expressed is refused, naming the piece. Default: none.",
});

/**
 * Scoring engines a trainer can offer (`scoring_engine:`): `lolpop`, its own code (default), or
 * `onnx`, onnxruntime-node on the model's ONNX piece (`withOnnxScoring` in `@lolpop/onnx`).
 */
export const SCORING_ENGINES = ["lolpop", "onnx"] as const;
/** One of {@link SCORING_ENGINES}. */
export type ScoringEngine = (typeof SCORING_ENGINES)[number];
