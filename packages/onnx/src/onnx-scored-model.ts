/**
 * The `onnx` scoring engine: a fitted model that predicts through onnxruntime-node on its own ONNX
 * piece (`to_onnx()`), for trainers that offer `scoring_engine: onnx`. Everything else (params,
 * save, feature importance, export) is the wrapped model's.
 */
import type { Predictions, Table, TrainedModel } from "@lolpop/core";
import { composeModel } from "./onnx-compose.js";
import { OnnxExportError } from "./onnx-export-error.js";
import { OnnxScorer, type OnnxScorerOptions } from "./onnx-runtime.js";

/**
 * Wraps `model` so that `predict` runs its ONNX piece (composed alone, reading the model's feature
 * columns) in onnxruntime-node, an optional peer loaded on the first prediction. Predictions
 * equal the model's own within float rounding (labels identical, probabilities within 1e-5 on
 * the quickstarts). Throws {@link OnnxExportError} at once when the model has no `to_onnx()`.
 */
export function withOnnxScoring(model: TrainedModel, options: OnnxScorerOptions = {}): TrainedModel {
  if (typeof model.to_onnx !== "function")
    throw new OnnxExportError({
      message: `scoring_engine onnx: ${model.trainer} models cannot be exported to ONNX (no to_onnx()); use scoring_engine lolpop`,
      unsupported: `model_trainer ${model.trainer}`,
    });
  let scorer: Promise<OnnxScorer> | undefined;
  const open = (): Promise<OnnxScorer> => {
    scorer ??= (async () =>
      OnnxScorer.create(
        composeModel({
          problem_type: model.problem_type,
          model: await model.to_onnx!(),
          feature_names: model.feature_names,
          ...(model.classes ? { classes: model.classes } : {}),
          trainer: model.trainer,
        }),
        options,
      ))().catch((e) => {
      scorer = undefined;
      throw e;
    });
    return scorer;
  };
  const wrapped: TrainedModel = {
    trainer: model.trainer,
    problem_type: model.problem_type,
    params: model.params,
    feature_names: model.feature_names,
    ...(model.classes ? { classes: model.classes } : {}),
    predict: async (X: Table): Promise<Predictions> => (await open()).predict(X),
    save: (dir) => model.save(dir),
    to_onnx: (o) => model.to_onnx!(o),
    ...(typeof model.feature_importance === "function"
      ? { feature_importance: () => model.feature_importance!() }
      : {}),
  };
  return wrapped;
}
