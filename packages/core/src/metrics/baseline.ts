/**
 * No-skill baselines: what a model has to beat. The standard workflow scores a baseline next to the
 * trained model on every split (`require_beat_baseline` in OfflineDeploy).
 */
import type { Predictions, ProblemType } from "../contracts.js";
import { DataError } from "../errors.js";
import type { Column } from "../table.js";

/**
 * Predictions of a no-skill baseline fitted on `yTrain`, for `n` rows:
 * - classification: the most frequent training class for every row (ties: the first in `classes`
 *   order) with the class priors (training frequencies) as probabilities. `classes` defaults to the
 *   labels present in `yTrain`, sorted; training labels outside a given `classes` are ignored.
 * - regression: the mean of the non-missing training values.
 * @throws DataError when `yTrain` has no non-missing value, or a regression target is categorical.
 */
export function baselinePredictions(
  problemType: ProblemType,
  yTrain: Column,
  n: number,
  classes?: string[],
): Predictions {
  if (problemType === "regression") {
    if (yTrain.type !== "numeric") {
      throw new DataError({
        message: "baseline for regression needs a numeric target, got a categorical column",
        code: "wrong_column_type",
      });
    }
    let sum = 0;
    let count = 0;
    for (const v of yTrain.values) {
      if (!Number.isNaN(v)) {
        sum += v;
        count++;
      }
    }
    if (count === 0)
      throw new DataError({
        message: "baseline: the training target has no non-missing value",
        code: "missing_target",
      });
    return { problem_type: "regression", values: new Float64Array(n).fill(sum / count) };
  }
  const counts = new Map<string, number>();
  const add = (label: string) => counts.set(label, (counts.get(label) ?? 0) + 1);
  if (yTrain.type === "categorical") {
    const perCode = new Float64Array(yTrain.dictionary.length);
    for (const c of yTrain.codes) if (c >= 0) perCode[c]!++;
    yTrain.dictionary.forEach((label, c) => {
      if (perCode[c]! > 0) counts.set(label, (counts.get(label) ?? 0) + perCode[c]!);
    });
  } else {
    for (const v of yTrain.values) if (!Number.isNaN(v)) add(String(v));
  }
  const cls = classes ?? [...counts.keys()].sort();
  let total = 0;
  for (const c of cls) total += counts.get(c) ?? 0;
  if (cls.length === 0 || total === 0) {
    throw new DataError({
      message: "baseline: the training target has no non-missing value among the classes",
      code: "missing_target",
    });
  }
  const k = cls.length;
  const priors = cls.map((c) => (counts.get(c) ?? 0) / total);
  let best = 0;
  for (let j = 1; j < k; j++) if (priors[j]! > priors[best]!) best = j;
  const proba = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) proba[i * k + j] = priors[j]!;
  return { problem_type: "classification", classes: [...cls], labels: new Int32Array(n).fill(best), proba };
}
