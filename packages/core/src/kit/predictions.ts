/**
 * Builders of the prediction objects a `TrainedModel.predict` returns, so every trainer labels rows
 * the same way: a classifier's label is the class of highest probability (the first one on a tie).
 */
import type { ClassificationPredictions, RegressionPredictions } from "../contracts.js";
import { DataError } from "../errors.js";

/**
 * Classification predictions from class probabilities: `proba` is row-major, `rows x classes.length`
 * (each row in `classes` order); `labels` is each row's most probable class, the first on a tie.
 * `classes` is copied; `proba` is kept as given.
 * @throws DataError `bad_predictions` when `proba` does not hold `rows x classes.length` values.
 */
export function classificationPredictions(
  classes: readonly string[],
  proba: Float64Array,
  rows: number,
): ClassificationPredictions {
  const k = classes.length;
  if (proba.length !== rows * k)
    throw new DataError({
      message: `class probabilities hold ${proba.length} values, expected rows x classes = ${rows} x ${k}`,
      code: "bad_predictions",
    });
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * k;
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[base + c]! > proba[base + best]!) best = c;
    labels[i] = best;
  }
  return { problem_type: "classification", classes: [...classes], labels, proba };
}

/** Regression predictions: one value per row (`values` is kept as given). */
export function regressionPredictions(values: Float64Array): RegressionPredictions {
  return { problem_type: "regression", values };
}
