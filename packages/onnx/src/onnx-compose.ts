/**
 * One ONNX model from a feature transformer's piece and a model's piece: raw columns in, the
 * model's outputs out.
 *
 * - Inputs: the feature transformer piece's inputs (one per raw feature column), or, without a
 *   transformer, one `[N, 1]` input per model feature (of the element type the model piece reads),
 *   concatenated into `features`.
 * - `features` is float or double: a piece reads and writes the type it computes in. When the
 *   transformer writes double and the model reads float (TensorFlow.js, CatBoost), a `Cast` rounds
 *   the values as lolpop rounds them when it hands float64 features to such a model.
 * - The transformer's `features` columns are matched to the model's `feature_names` by name (a
 *   `Gather` reorders or selects them when the orders differ; a missing one is an error).
 * - Outputs: classification `label` (`string [N]`, the class of the highest probability, the
 *   first on a tie, as lolpop's own predictions) and `probabilities` (`float [N, classes]`);
 *   regression `prediction` (`float [N]`).
 * - Internal names get a prefix per piece (`pre/`, `model/`, `head/`) so that pieces never clash.
 */
import type {
  ColumnSchema,
  OnnxGraphPiece,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
  ProblemType,
} from "@lolpop/core";
import { attr, BATCH_DIM, IR_VERSION, ONNX_ML_DOMAIN, PieceBuilder, tensorInfo } from "./onnx-builder.js";
import { OnnxExportError } from "./onnx-export-error.js";
import type { OnnxGraphValue, OnnxModel } from "./onnx-model.js";

/** Name of the tensor a feature transformer piece produces and a model piece reads. */
export const FEATURES = "features";
/** Output of a classifier piece and of the composed model: class probabilities. */
export const PROBABILITIES = "probabilities";
/** Output of a regressor piece and of the composed model: predicted values. */
export const PREDICTION = "prediction";
/** Output of the composed classifier: the predicted class label. */
export const LABEL = "label";

/** Keys of the composed model's metadata (`metadata_props`). */
export const METADATA_KEYS = Object.freeze({
  problem_type: "lolpop.problem_type",
  /** JSON array of class labels, in the column order of `probabilities`. */
  classes: "lolpop.classes",
  /** JSON array of `{name, type}`: the graph inputs (raw feature columns). */
  inputs: "lolpop.inputs",
  /** JSON array: the model's feature names (after the feature transformer). */
  feature_names: "lolpop.feature_names",
  trainer: "lolpop.trainer",
});

/** What {@link composeModel} puts together. */
export interface ComposeOptions {
  problem_type: ProblemType;
  /** The model's piece (`TrainedModel.to_onnx()`). */
  model: OnnxGraphPiece;
  /** The model's feature names (`TrainedModel.feature_names`). */
  feature_names: readonly string[];
  /** Class labels, for classification (`TrainedModel.classes`). */
  classes?: readonly string[];
  /** The fitted feature transformer's piece (`FeatureTransformer.to_onnx()`), when there is one. */
  features?: OnnxGraphPiece;
  /**
   * The raw columns as lolpop typed them at training. Used to refuse what ONNX inputs cannot carry
   * (datetime columns) and to type inputs without a feature transformer.
   */
  input_schema?: readonly ColumnSchema[];
  /** Graph name. Default `lolpop`. */
  name?: string;
  /** The trainer type, recorded in the metadata. */
  trainer?: string;
  /** Text for people (model description). */
  doc_string?: string;
  /** Producer version recorded in the file (e.g. the exporting package's version). */
  producer_version?: string;
  /** More metadata (`metadata_props`). */
  metadata?: Record<string, string>;
}

function fail(message: string, unsupported: string, details?: Record<string, unknown>): never {
  throw new OnnxExportError({ message, unsupported, details });
}

/** Checks that every value a node reads exists and that the declared outputs are produced. */
export function checkPiece(piece: OnnxGraphPiece, label: string): void {
  const known = new Set<string>([
    ...piece.inputs.map((i) => i.name),
    ...piece.initializers.map((t) => t.name),
  ]);
  for (const n of piece.nodes) {
    for (const i of n.inputs)
      if (i && !known.has(i))
        throw new Error(`${label}: node ${n.name ?? n.op_type} reads "${i}", which nothing produces`);
    for (const o of n.outputs) if (o) known.add(o);
  }
  for (const o of piece.outputs)
    if (!known.has(o.name)) throw new Error(`${label}: output "${o.name}" is not produced by any node`);
}

/** Renames a piece's values: `boundary` names map as given, the others get `prefix`. */
function renamed(
  piece: OnnxGraphPiece,
  prefix: string,
  boundary: ReadonlyMap<string, string>,
): { nodes: OnnxNode[]; initializers: OnnxTensor[] } {
  const map = (n: string) => (n === "" ? "" : (boundary.get(n) ?? `${prefix}${n}`));
  return {
    nodes: piece.nodes.map((n) => ({
      ...n,
      inputs: n.inputs.map(map),
      outputs: n.outputs.map(map),
      ...(n.name ? { name: `${prefix}${n.name}` } : {}),
    })),
    initializers: piece.initializers.map((t) => ({ ...t, name: map(t.name) })),
  };
}

function graphValue(info: OnnxValueInfo, name = info.name): OnnxGraphValue {
  const v: OnnxGraphValue = { name, type: { tensor: info.type, shape: [...info.shape] } };
  if (info.doc_string) v.doc_string = info.doc_string;
  return v;
}

function mergeOpsets(...pieces: OnnxGraphPiece[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pieces) for (const [d, v] of Object.entries(p.opsets)) out[d] = Math.max(out[d] ?? 0, v);
  return out;
}

/** Without a feature transformer: one input per model feature (of type `type`), concatenated. */
function rawInputsPiece(
  featureNames: readonly string[],
  schema: readonly ColumnSchema[] | undefined,
  type: "float" | "double",
): OnnxGraphPiece {
  const b = new PieceBuilder();
  const cols = featureNames.map((name) => {
    const s = schema?.find((c) => c.name === name);
    if (s && s.type !== "numeric")
      fail(
        `feature "${name}" is categorical, and the model reads numbers: without a feature transformer the exported model can only take numeric columns. Encode it with a feature_transformer (such as LocalFeatureTransformer with encoding onehot or ordinal).`,
        `feature "${name}" (categorical, no feature transformer)`,
        { column: name },
      );
    return b.input(tensorInfo(name, type, [BATCH_DIM, 1], "numeric feature; NaN is missing"));
  });
  const out = b.outputName(FEATURES);
  b.node("Concat", cols, [out], { axis: attr.int(1) });
  b.output(tensorInfo(FEATURES, type, [BATCH_DIM, featureNames.length]));
  return b.finish({ feature_names: [...featureNames] });
}

/**
 * Puts a feature transformer piece (optional) and a model piece into one ONNX model that takes raw
 * feature columns. Throws {@link OnnxExportError} for what cannot be expressed (a datetime input, a
 * feature the model needs that the transformer does not produce, a column named like an output).
 */
export function composeModel(options: ComposeOptions): OnnxModel {
  const { model, problem_type: problem, feature_names: featureNames } = options;
  const classes = options.classes ? [...options.classes] : undefined;
  if (problem === "classification" && (!classes || classes.length < 2))
    throw new Error("composeModel: a classifier needs at least two classes");
  checkPiece(model, "model piece");
  const modelIn = model.inputs.find((i) => i.name === FEATURES);
  if (!modelIn || model.inputs.length !== 1 || (modelIn.type !== "float" && modelIn.type !== "double"))
    throw new Error(`composeModel: the model piece must read one float or double input "${FEATURES}"`);
  const modelType = modelIn.type;
  const modelOut = problem === "classification" ? PROBABILITIES : PREDICTION;
  if (!model.outputs.some((o) => o.name === modelOut))
    throw new Error(`composeModel: the model piece has no "${modelOut}" output`);
  const pieceNames = model.feature_names ?? [...featureNames];
  if (pieceNames.join("\u0000") !== featureNames.join("\u0000"))
    throw new Error("composeModel: the model piece's feature_names differ from the model's");

  // The preprocessing piece: the transformer's, or raw numeric inputs.
  const pre = options.features ?? rawInputsPiece(featureNames, options.input_schema, modelType);
  checkPiece(pre, "feature transformer piece");
  const preOut = pre.outputs.find((o) => o.name === FEATURES);
  if ((preOut?.type !== "float" && preOut?.type !== "double") || !pre.feature_names)
    throw new Error(
      `composeModel: the feature transformer piece must produce a float or double "${FEATURES}" with feature_names`,
    );

  const outputs = problem === "classification" ? [LABEL, PROBABILITIES] : [PREDICTION];
  for (const input of pre.inputs) {
    if (outputs.includes(input.name))
      fail(
        `the input column "${input.name}" has the name of an output of the exported model; rename the column`,
        `column "${input.name}" (name of an output)`,
        { column: input.name },
      );
    const s = options.input_schema?.find((c) => c.name === input.name);
    if (s?.type === "numeric" && s.logical === "datetime")
      fail(
        `feature "${input.name}" is a datetime column; ONNX inputs are numbers and text, and lolpop does not convert dates inside the graph. Turn it into a number (e.g. epoch days, year, month) in the data transformer before training to export this model.`,
        `feature "${input.name}" (datetime)`,
        { column: input.name },
      );
  }

  // Match the transformer's columns to the model's features.
  const produced = pre.feature_names;
  const position = new Map(produced.map((n, i) => [n, i]));
  const missing = featureNames.filter((n) => !position.has(n));
  if (missing.length)
    fail(
      `the model reads feature${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} that the feature transformer does not produce (it produces ${produced.length} columns); export the transformer the model was trained with`,
      `features ${missing.join(", ")}`,
      { missing },
    );

  const link = "pre/features";
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const preRenamed = renamed(
    pre,
    "pre/",
    new Map([...pre.inputs.map((i) => [i.name, i.name] as [string, string]), [FEATURES, link]]),
  );
  nodes.push(...preRenamed.nodes);
  initializers.push(...preRenamed.initializers);
  let modelInput = link;
  const inOrder = produced.length === featureNames.length && produced.every((n, i) => n === featureNames[i]);
  if (!inOrder) {
    // Reorder / select the model's columns.
    initializers.push({
      name: "select/indices",
      type: "int64",
      dims: [featureNames.length],
      data: BigInt64Array.from(featureNames, (n) => BigInt(position.get(n)!)),
    });
    modelInput = "select/features";
    nodes.push({
      op_type: "Gather",
      name: "select/Gather",
      inputs: [link, "select/indices"],
      outputs: [modelInput],
      attributes: { axis: attr.int(1) },
    });
  }
  if (preOut.type !== modelType) {
    const cast = "cast/features";
    nodes.push({
      op_type: "Cast",
      name: "cast/Cast",
      inputs: [modelInput],
      outputs: [cast],
      attributes: { to: attr.int(modelType === "float" ? 1 : 11) },
      doc_string: `${preOut.type} features to the ${modelType} the model reads`,
    });
    modelInput = cast;
  }
  const modelOutName = problem === "classification" ? PROBABILITIES : PREDICTION;
  const modelRenamed = renamed(
    model,
    "model/",
    new Map([
      [FEATURES, modelInput],
      [modelOutName, modelOutName],
    ]),
  );
  nodes.push(...modelRenamed.nodes);
  initializers.push(...modelRenamed.initializers);

  const graphOutputs: OnnxGraphValue[] = [];
  const opsets = mergeOpsets(pre, model);
  if (problem === "classification") {
    // label = classes[argmax(probabilities)]; ArgMax takes the first maximum.
    nodes.push({
      op_type: "ArgMax",
      name: "head/ArgMax",
      inputs: [PROBABILITIES],
      outputs: ["head/class_index"],
      attributes: { axis: attr.int(1), keepdims: attr.int(0), select_last_index: attr.int(0) },
    });
    nodes.push({
      op_type: "LabelEncoder",
      domain: ONNX_ML_DOMAIN,
      name: "head/LabelEncoder",
      inputs: ["head/class_index"],
      outputs: [LABEL],
      attributes: {
        keys_int64s: attr.ints(classes!.map((_, i) => i)),
        values_strings: attr.strings(classes!),
        default_string: attr.string(""),
      },
    });
    opsets[ONNX_ML_DOMAIN] = Math.max(opsets[ONNX_ML_DOMAIN] ?? 0, 2);
    graphOutputs.push(
      { name: LABEL, type: { tensor: "string", shape: [BATCH_DIM] }, doc_string: "predicted class" },
      {
        name: PROBABILITIES,
        type: { tensor: "float", shape: [BATCH_DIM, classes!.length] },
        doc_string: `class probabilities, columns: ${classes!.join(", ")}`,
      },
    );
  } else {
    graphOutputs.push({
      name: PREDICTION,
      type: { tensor: "float", shape: [BATCH_DIM] },
      doc_string: "predicted value",
    });
  }

  const inputs = pre.inputs.map((i) => graphValue(i));
  const metadata: Record<string, string> = {
    [METADATA_KEYS.problem_type]: problem,
    [METADATA_KEYS.inputs]: JSON.stringify(pre.inputs.map((i) => ({ name: i.name, type: i.type }))),
    [METADATA_KEYS.feature_names]: JSON.stringify(featureNames),
    ...(classes ? { [METADATA_KEYS.classes]: JSON.stringify(classes) } : {}),
    ...(options.trainer ? { [METADATA_KEYS.trainer]: options.trainer } : {}),
    ...options.metadata,
  };
  const docs = [options.doc_string, pre.doc_string, model.doc_string].filter(Boolean).join("\n\n");
  const out: OnnxModel = {
    ir_version: IR_VERSION,
    opsets,
    producer_name: "lolpop",
    graph: {
      name: options.name ?? "lolpop",
      nodes,
      initializers,
      inputs,
      outputs: graphOutputs,
    },
    metadata,
  };
  if (options.producer_version) out.producer_version = options.producer_version;
  if (docs) out.doc_string = docs;
  return out;
}
