/**
 * A CatBoost model as a piece of an ONNX graph, from CatBoost's own ONNX export
 * (`save_model(format="onnx")`, run in the Python worker). CatBoost writes an ONNX-ML tree ensemble
 * reading one `float [N, F]` input; for classifiers it adds a ZipMap to a sequence of maps, which
 * onnxruntime-node cannot return. The piece keeps CatBoost's nodes, drops the ZipMap and exposes
 * the ensemble's probability tensor as `probabilities`; a regressor's `[N, 1]` output is flattened
 * to `prediction`.
 *
 * Refused, by name: categorical features (CatBoost's ONNX export has none), a scale other than 1
 * (the export keeps the bias and drops the scale), and losses whose output transform is not one
 * of those checked against CatBoost's predictions (Logloss, MultiClass, and the regression losses
 * whose prediction is the raw score).
 */
import type { OnnxGraphPiece, OnnxNode, OnnxValueInfo, ProblemType } from "@lolpop/core";
import {
  BATCH_DIM,
  DEFAULT_OPSETS,
  decodeModel,
  FEATURES,
  OnnxExportError,
  PREDICTION,
  PROBABILITIES,
  tensorInfo,
} from "@lolpop/onnx";
import { lossName, outputTransformFor } from "./catboost-json-scorer.js";

/** What a CatBoost model's export needs to know about it. */
interface CatBoostLike {
  problem_type: ProblemType;
  feature_names: readonly string[];
  classes?: readonly string[];
  cat_features: readonly string[];
  meta: { loss_function: string };
}

const CLASSIFICATION_LOSSES = new Set(["Logloss", "MultiClass"]);

/** Throws an OnnxExportError when the model cannot go through CatBoost's ONNX export. */
export function checkCatBoostOnnx(model: CatBoostLike, path: string): void {
  if (model.cat_features.length) {
    const names = model.cat_features.map((c) => `"${c}"`).join(", ");
    throw new OnnxExportError({
      message: `${path}: the model treats ${names} as categorical features, and CatBoost's ONNX export has no categorical features. To export it, encode them before CatBoost (LocalFeatureTransformer with encoding onehot or ordinal instead of passthrough) and train again.`,
      unsupported: model.cat_features.map((c) => `categorical feature "${c}" inside CatBoost`).join(", "),
      details: { cat_features: [...model.cat_features] },
    });
  }
  const loss = lossName(model.meta.loss_function);
  const transform = outputTransformFor(loss, model.problem_type);
  const ok = model.problem_type === "classification" ? CLASSIFICATION_LOSSES.has(loss) : transform === "raw";
  if (!ok)
    throw new OnnxExportError({
      message: `${path}: the ONNX export of CatBoost models trained with loss_function ${model.meta.loss_function} is not supported (its output transform${transform ? ` "${transform}"` : ""} is not checked against CatBoost's predictions); it supports Logloss, MultiClass and the regression losses whose prediction is the raw score (RMSE, MAE, Quantile...)`,
      unsupported: `loss_function ${model.meta.loss_function}`,
    });
}

/** Turns CatBoost's exported ONNX model into the model piece (input `features`, output `probabilities` / `prediction`). */
export function catboostOnnxPiece(
  model: CatBoostLike,
  exported: { onnx: Uint8Array; scale: number; bias: ArrayLike<number> },
  path: string,
): OnnxGraphPiece {
  if (exported.scale !== 1)
    throw new OnnxExportError({
      message: `${path}: the model's scale is ${exported.scale}; CatBoost's ONNX export keeps the bias but not the scale, so the exported model would predict differently`,
      unsupported: `scale ${exported.scale}`,
    });
  const onnx = decodeModel(exported.onnx);
  const graph = onnx.graph;
  const initializers = new Set(graph.initializers.map((t) => t.name));
  const inputs = graph.inputs.filter((i) => !initializers.has(i.name));
  const F = model.feature_names.length;
  const input = inputs[0];
  const inputType = input && "tensor" in input.type ? input.type : undefined;
  if (inputs.length !== 1 || inputType?.tensor !== "float" || (inputType.shape?.[1] ?? F) !== F)
    throw new Error(`${path}: CatBoost's ONNX export does not read one float [N, ${F}] input`);
  const ensemble = graph.nodes.find((n) => n.op_type.startsWith("TreeEnsemble"));
  const want = model.problem_type === "classification" ? "TreeEnsembleClassifier" : "TreeEnsembleRegressor";
  if (ensemble?.op_type !== want) throw new Error(`${path}: CatBoost's ONNX export has no ${want}`);
  if (model.problem_type === "classification") {
    const labels = ensemble.attributes?.classlabels_int64s ?? ensemble.attributes?.classlabels_strings;
    const count = labels && "value" in labels ? (labels.value as ArrayLike<unknown>).length : 0;
    if (count !== model.classes!.length)
      throw new Error(
        `${path}: CatBoost's ONNX export has ${count} classes, the model ${model.classes!.length}`,
      );
  }
  // CatBoost's names, except the boundary: its input is `features`, the ensemble's probabilities
  // (or values) our output; everything else gets a prefix so that it cannot clash.
  const result = model.problem_type === "classification" ? ensemble.outputs[1]! : ensemble.outputs[0]!;
  const rename = (name: string) =>
    name === ""
      ? ""
      : name === input.name
        ? FEATURES
        : name === result && model.problem_type === "classification"
          ? PROBABILITIES
          : `catboost/${name}`;
  const nodes: OnnxNode[] = graph.nodes
    .filter((n) => n.op_type !== "ZipMap")
    .map((n) => ({
      ...n,
      inputs: n.inputs.map(rename),
      outputs: n.outputs.map(rename),
      name: `catboost/${n.name ?? n.op_type}`,
    }));
  const outputs: OnnxValueInfo[] = [];
  if (model.problem_type === "classification") {
    outputs.push(tensorInfo(PROBABILITIES, "float", [BATCH_DIM, model.classes!.length]));
  } else {
    nodes.push({
      op_type: "Reshape",
      name: "catboost/flatten",
      inputs: [rename(result), "catboost/rows"],
      outputs: [PREDICTION],
    });
    outputs.push(tensorInfo(PREDICTION, "float", [BATCH_DIM]));
  }
  const opsets: Record<string, number> = { ...onnx.opsets };
  for (const [domain, version] of Object.entries(DEFAULT_OPSETS))
    opsets[domain] = Math.max(opsets[domain] ?? 0, version);
  return {
    inputs: [tensorInfo(FEATURES, "float", [BATCH_DIM, F])],
    outputs,
    nodes,
    initializers: [
      ...graph.initializers.map((t) => ({ ...t, name: rename(t.name) })),
      ...(model.problem_type === "regression"
        ? [{ name: "catboost/rows", type: "int64" as const, dims: [1], data: BigInt64Array.from([-1n]) }]
        : []),
    ],
    opsets,
    feature_names: [...model.feature_names],
    doc_string:
      `CatBoost (${model.meta.loss_function}), exported by CatBoost ${onnx.producer_version ?? ""} to ONNX; float32 features and thresholds`.replace(
        "  ",
        " ",
      ),
  };
}
