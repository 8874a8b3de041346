/**
 * Evaluation metrics for classification and regression, computed over typed arrays.
 *
 * Every metric matches scikit-learn 1.9.1 with default arguments (checked by a parity test against
 * a real scikit-learn): `zero_division="warn"` (an undefined precision, recall or F1 is 0), log loss
 * clipped to `[eps, 1 - eps]` and averaged over rows, ROC AUC by the trapezoidal rule over distinct
 * thresholds (ties count half), average precision as the uninterpolated step sum, MAPE dividing by
 * `max(|y|, eps)`. Where scikit-learn returns NaN (ROC AUC with one class in `y_true`, R² with fewer
 * than two rows) these functions return NaN too.
 *
 * Classification targets are matched to `predictions.classes` by label (the dictionary string of
 * the categorical column, or the number's string form for a numeric column), never by code.
 */
import type {
  ClassificationPredictions,
  Predictions,
  ProblemType,
  RegressionPredictions,
} from "../contracts.js";
import { DataError } from "../errors.js";
import type { Column } from "../table.js";

const CLASSIFICATION_METRIC_NAMES = [
  "accuracy",
  "precision",
  "recall",
  "f1",
  "precision_macro",
  "recall_macro",
  "f1_macro",
  "precision_weighted",
  "recall_weighted",
  "f1_weighted",
  "log_loss",
  "roc_auc",
  "roc_auc_ovr",
  "pr_auc",
] as const;
const REGRESSION_METRIC_NAMES = ["mse", "rmse", "mae", "mape", "r2"] as const;

/** Every metric name {@link computeMetric} understands. */
export const METRIC_NAMES = [...CLASSIFICATION_METRIC_NAMES, ...REGRESSION_METRIC_NAMES] as const;

/** A metric name from {@link METRIC_NAMES}. */
export type MetricName = (typeof METRIC_NAMES)[number];

/** Classification metrics computed from class probabilities (they need `predictions.proba`). */
export const PROBABILITY_METRICS: ReadonlySet<string> = new Set([
  "log_loss",
  "roc_auc",
  "roc_auc_ovr",
  "pr_auc",
]);

const CLASSIFICATION_METRICS: ReadonlySet<string> = new Set(CLASSIFICATION_METRIC_NAMES);
const REGRESSION_METRICS: ReadonlySet<string> = new Set(REGRESSION_METRIC_NAMES);
const LOWER_IS_BETTER: ReadonlySet<string> = new Set(["log_loss", "mse", "rmse", "mae", "mape"]);
const BINARY_ONLY: ReadonlySet<string> = new Set(["precision", "recall", "f1", "roc_auc", "pr_auc"]);

/** Machine epsilon of float64, as `np.finfo(np.float64).eps`. */
const EPS = 2.220446049250313e-16;

function assertKnown(name: string): void {
  if (!CLASSIFICATION_METRICS.has(name) && !REGRESSION_METRICS.has(name)) {
    throw new DataError({
      message: `unknown metric "${name}"; valid metrics are: ${METRIC_NAMES.join(", ")}`,
      code: "unknown_metric",
      details: { metric: name, valid: [...METRIC_NAMES] },
    });
  }
}

/** True when `name` is a metric name from {@link METRIC_NAMES}. */
export function isMetricName(name: string): name is MetricName {
  return CLASSIFICATION_METRICS.has(name) || REGRESSION_METRICS.has(name);
}

/**
 * Direction of a metric: true for losses and errors (`log_loss`, `mse`, `rmse`, `mae`, `mape`),
 * false for scores where higher is better.
 * @throws DataError for an unknown metric name (the message lists the valid names).
 */
export function isLowerBetter(name: string): boolean {
  assertKnown(name);
  return LOWER_IS_BETTER.has(name);
}

/** The problem type a metric applies to. @throws DataError for an unknown metric name. */
export function metricProblemType(name: string): ProblemType {
  assertKnown(name);
  return REGRESSION_METRICS.has(name) ? "regression" : "classification";
}

/**
 * Metrics computed by default for a problem.
 * - classification with 2 classes: accuracy, precision, recall, f1, f1_macro, roc_auc, pr_auc, log_loss
 *   (the binary metrics take `classes[1]` as the positive class);
 * - classification with more classes, or an unknown count: accuracy, precision_macro, recall_macro,
 *   f1_macro, f1_weighted, roc_auc_ovr, log_loss;
 * - regression: rmse, mse, mae, mape, r2.
 * Probability metrics (log_loss, roc_auc, roc_auc_ovr, pr_auc) need `predictions.proba`.
 * @param numClasses Number of classes, for classification.
 */
export function defaultMetrics(problemType: ProblemType, numClasses?: number): string[] {
  if (problemType === "regression") return ["rmse", "mse", "mae", "mape", "r2"];
  if (numClasses === 2)
    return ["accuracy", "precision", "recall", "f1", "f1_macro", "roc_auc", "pr_auc", "log_loss"];
  return [
    "accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "f1_weighted",
    "roc_auc_ovr",
    "log_loss",
  ];
}

// ---------------------------------------------------------------- classification helpers

/** Targets and predictions mapped to one label space: `classes` first, then unseen true labels. */
interface Encoded {
  /** `classes` followed by labels of `y_true` that are not among the classes. */
  labels: string[];
  /** Number of classes the model knows (`predictions.classes.length`). */
  k: number;
  /** True label index per row (into `labels`). */
  t: Int32Array;
  /** Predicted label index per row (into `classes`). */
  p: Int32Array;
  n: number;
}

function encodeClassification(name: string, yTrue: Column, pred: ClassificationPredictions): Encoded {
  const classes = pred.classes;
  const k = classes.length;
  const n = yTrue.type === "numeric" ? yTrue.values.length : yTrue.codes.length;
  if (pred.labels.length !== n) {
    throw new DataError({
      message: `metric "${name}": y_true has ${n} rows but the predictions have ${pred.labels.length}`,
      code: "length_mismatch",
    });
  }
  if (n === 0) throw new DataError({ message: `metric "${name}": no rows to evaluate`, code: "empty_input" });
  const labels = [...classes];
  const index = new Map<string, number>();
  classes.forEach((c, i) => {
    if (index.has(c)) {
      throw new DataError({
        message: `metric "${name}": predictions.classes lists "${c}" twice`,
        code: "bad_predictions",
      });
    }
    index.set(c, i);
  });
  const lookup = (label: string): number => {
    let i = index.get(label);
    if (i === undefined) {
      i = labels.length;
      labels.push(label);
      index.set(label, i);
    }
    return i;
  };
  const t = new Int32Array(n);
  let missing = 0;
  if (yTrue.type === "categorical") {
    const map = yTrue.dictionary.map((d) => lookup(d));
    for (let i = 0; i < n; i++) {
      const c = yTrue.codes[i]!;
      if (c < 0) missing++;
      else t[i] = map[c]!;
    }
  } else {
    const cache = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const v = yTrue.values[i]!;
      if (Number.isNaN(v)) {
        missing++;
        continue;
      }
      let j = cache.get(v);
      if (j === undefined) {
        j = lookup(String(v));
        cache.set(v, j);
      }
      t[i] = j;
    }
  }
  if (missing > 0) {
    throw new DataError({
      message: `metric "${name}": y_true has ${missing} missing value(s); drop rows with a missing target before computing metrics`,
      code: "missing_target",
    });
  }
  const p = pred.labels;
  for (let i = 0; i < n; i++) {
    const v = p[i]!;
    if (!(v >= 0 && v < k)) {
      throw new DataError({
        message: `metric "${name}": predicted label index ${v} at row ${i} is outside the ${k} classes`,
        code: "bad_predictions",
      });
    }
  }
  return { labels, k, t, p, n };
}

function requireBinary(name: string, enc: Encoded): void {
  if (enc.k !== 2 || enc.labels.length !== 2) {
    const found = enc.labels.map((l) => `"${l}"`).join(", ");
    const alt =
      name === "roc_auc"
        ? "roc_auc_ovr"
        : name === "pr_auc"
          ? "roc_auc_ovr"
          : `${name}_macro or ${name}_weighted`;
    throw new DataError({
      message: `metric "${name}" is for binary classification, but the labels are ${found} (${enc.labels.length}); use ${alt} for more than two classes`,
      code: "metric_not_applicable",
      details: { metric: name, labels: enc.labels },
    });
  }
}

function requireProba(name: string, enc: Encoded, pred: ClassificationPredictions): Float64Array {
  const proba = pred.proba;
  if (!proba) {
    throw new DataError({
      message: `metric "${name}" needs predicted probabilities, but the predictions have none (predictions.proba is missing)`,
      code: "missing_probabilities",
    });
  }
  if (proba.length !== enc.n * enc.k) {
    throw new DataError({
      message: `metric "${name}": predictions.proba has ${proba.length} values, expected rows x classes = ${enc.n} x ${enc.k}`,
      code: "bad_predictions",
    });
  }
  for (let i = 0; i < proba.length; i++) {
    const v = proba[i]!;
    if (!(v >= 0 && v <= 1)) {
      throw new DataError({
        message: `metric "${name}": probability ${v} at row ${Math.floor(i / enc.k)} is not in [0, 1]`,
        code: "bad_predictions",
      });
    }
  }
  if (enc.labels.length > enc.k) {
    const unknown = enc.labels.slice(enc.k).map((l) => `"${l}"`);
    throw new DataError({
      message: `metric "${name}": y_true contains label(s) ${unknown.join(", ")} that are not among the predicted classes (${enc.labels.slice(0, enc.k).join(", ")})`,
      code: "unknown_label",
    });
  }
  return proba;
}

/** Per-label counts over the label space of `enc`. */
function confusionCounts(enc: Encoded): { tp: Float64Array; trueSum: Float64Array; predSum: Float64Array } {
  const m = enc.labels.length;
  const tp = new Float64Array(m);
  const trueSum = new Float64Array(m);
  const predSum = new Float64Array(m);
  for (let i = 0; i < enc.n; i++) {
    const a = enc.t[i]!;
    const b = enc.p[i]!;
    trueSum[a]!++;
    predSum[b]!++;
    if (a === b) tp[a]!++;
  }
  return { tp, trueSum, predSum };
}

/** Division where 0/0 (or x/0) is 0, as scikit-learn's `zero_division="warn"`. */
function div0(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

type Prf = "precision" | "recall" | "f1";

function prfValue(kind: Prf, tp: number, trueSum: number, predSum: number): number {
  if (kind === "precision") return div0(tp, predSum);
  if (kind === "recall") return div0(tp, trueSum);
  return div0(2 * tp, trueSum + predSum);
}

function averagedPrf(kind: Prf, average: "macro" | "weighted", enc: Encoded): number {
  const { tp, trueSum, predSum } = confusionCounts(enc);
  // scikit-learn averages over the labels present in y_true or y_pred.
  let sum = 0;
  let weights = 0;
  for (let j = 0; j < enc.labels.length; j++) {
    if (trueSum[j] === 0 && predSum[j] === 0) continue;
    const w = average === "macro" ? 1 : trueSum[j]!;
    sum += w * prfValue(kind, tp[j]!, trueSum[j]!, predSum[j]!);
    weights += w;
  }
  return weights === 0 ? 0 : sum / weights;
}

/**
 * Binary ROC AUC by the trapezoidal rule over distinct score thresholds (tied scores form one
 * step, so ties count half). NaN when only one class is present, as scikit-learn.
 */
function binaryRocAuc(isPos: Uint8Array, score: Float64Array): number {
  const n = score.length;
  let totalPos = 0;
  for (let i = 0; i < n; i++) totalPos += isPos[i]!;
  const totalNeg = n - totalPos;
  if (totalPos === 0 || totalNeg === 0) return Number.NaN;
  const order = sortDescending(score);
  let tps = 0;
  let fps = 0;
  let prevFpr = 0;
  let prevTpr = 0;
  let area = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    if (isPos[i]) tps++;
    else fps++;
    if (j === n - 1 || score[order[j + 1]!] !== score[i]) {
      const fpr = fps / totalNeg;
      const tpr = tps / totalPos;
      area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
      prevFpr = fpr;
      prevTpr = tpr;
    }
  }
  return area;
}

/** Average precision: sum over distinct thresholds of (R_k - R_{k-1}) * P_k; 0 without positives. */
function binaryAveragePrecision(isPos: Uint8Array, score: Float64Array): number {
  const n = score.length;
  let totalPos = 0;
  for (let i = 0; i < n; i++) totalPos += isPos[i]!;
  if (totalPos === 0) return 0;
  const order = sortDescending(score);
  let tps = 0;
  let fps = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    if (isPos[i]) tps++;
    else fps++;
    if (j === n - 1 || score[order[j + 1]!] !== score[i]) {
      const recall = tps / totalPos;
      ap += (recall - prevRecall) * (tps / (tps + fps));
      prevRecall = recall;
    }
  }
  return Math.max(0, ap);
}

function sortDescending(score: Float64Array): Uint32Array {
  const order = new Uint32Array(score.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => score[b]! - score[a]! || a - b);
  return order;
}

function classificationMetric(name: string, yTrue: Column, pred: ClassificationPredictions): number {
  const enc = encodeClassification(name, yTrue, pred);
  if (BINARY_ONLY.has(name)) requireBinary(name, enc);
  switch (name) {
    case "accuracy": {
      let ok = 0;
      for (let i = 0; i < enc.n; i++) if (enc.t[i] === enc.p[i]) ok++;
      return ok / enc.n;
    }
    case "precision":
    case "recall":
    case "f1": {
      const { tp, trueSum, predSum } = confusionCounts(enc);
      return prfValue(name, tp[1]!, trueSum[1]!, predSum[1]!);
    }
    case "precision_macro":
    case "recall_macro":
    case "f1_macro":
    case "precision_weighted":
    case "recall_weighted":
    case "f1_weighted": {
      const [kind, average] = name.split("_") as [Prf, "macro" | "weighted"];
      return averagedPrf(kind, average, enc);
    }
    case "log_loss": {
      const proba = requireProba(name, enc, pred);
      if (enc.k < 2) {
        throw new DataError({
          message: `metric "log_loss" needs at least two classes, got ${enc.k}`,
          code: "metric_not_applicable",
        });
      }
      let sum = 0;
      for (let i = 0; i < enc.n; i++) {
        const p = Math.min(Math.max(proba[i * enc.k + enc.t[i]!]!, EPS), 1 - EPS);
        sum -= Math.log(p);
      }
      return sum / enc.n;
    }
    case "roc_auc":
    case "pr_auc": {
      const proba = requireProba(name, enc, pred);
      const isPos = new Uint8Array(enc.n);
      const score = new Float64Array(enc.n);
      for (let i = 0; i < enc.n; i++) {
        isPos[i] = enc.t[i] === 1 ? 1 : 0;
        score[i] = proba[i * 2 + 1]!;
      }
      return name === "roc_auc" ? binaryRocAuc(isPos, score) : binaryAveragePrecision(isPos, score);
    }
    case "roc_auc_ovr": {
      const proba = requireProba(name, enc, pred);
      const k = enc.k;
      if (k === 2) return classificationMetric("roc_auc", yTrue, pred);
      for (let i = 0; i < enc.n; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += proba[i * k + j]!;
        // numpy.allclose(1, s): |s - 1| <= atol + rtol * |s|
        if (!(Math.abs(s - 1) <= 1e-8 + 1e-5 * Math.abs(s))) {
          throw new DataError({
            message: `metric "roc_auc_ovr" needs probabilities that sum to 1 over classes; row ${i} sums to ${s}`,
            code: "bad_predictions",
          });
        }
      }
      const isPos = new Uint8Array(enc.n);
      const score = new Float64Array(enc.n);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        for (let i = 0; i < enc.n; i++) {
          isPos[i] = enc.t[i] === c ? 1 : 0;
          score[i] = proba[i * k + c]!;
        }
        sum += binaryRocAuc(isPos, score);
      }
      return sum / k;
    }
  }
  throw new Error(`unreachable: classification metric ${name}`);
}

// ---------------------------------------------------------------- regression

function regressionMetric(name: string, yTrue: Column, pred: RegressionPredictions): number {
  if (yTrue.type !== "numeric") {
    throw new DataError({
      message: `metric "${name}" needs a numeric y_true, got a categorical column`,
      code: "wrong_column_type",
    });
  }
  const y = yTrue.values;
  const p = pred.values;
  const n = y.length;
  if (p.length !== n) {
    throw new DataError({
      message: `metric "${name}": y_true has ${n} rows but the predictions have ${p.length}`,
      code: "length_mismatch",
    });
  }
  if (n === 0) throw new DataError({ message: `metric "${name}": no rows to evaluate`, code: "empty_input" });
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i]!)) {
      throw new DataError({
        message: `metric "${name}": y_true has a missing or infinite value at row ${i}; drop rows with a missing target before computing metrics`,
        code: "missing_target",
      });
    }
    if (!Number.isFinite(p[i]!)) {
      throw new DataError({
        message: `metric "${name}": prediction at row ${i} is ${p[i]}`,
        code: "bad_predictions",
      });
    }
  }
  switch (name) {
    case "mse":
    case "rmse": {
      let s = 0;
      for (let i = 0; i < n; i++) s += (y[i]! - p[i]!) ** 2;
      return name === "mse" ? s / n : Math.sqrt(s / n);
    }
    case "mae": {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(y[i]! - p[i]!);
      return s / n;
    }
    case "mape": {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(p[i]! - y[i]!) / Math.max(Math.abs(y[i]!), EPS);
      return s / n;
    }
    case "r2": {
      if (n < 2) return Number.NaN;
      let mean = 0;
      for (let i = 0; i < n; i++) mean += y[i]!;
      mean /= n;
      let num = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        num += (y[i]! - p[i]!) ** 2;
        den += (y[i]! - mean) ** 2;
      }
      if (den === 0) return num === 0 ? 1 : 0;
      return 1 - num / den;
    }
  }
  throw new Error(`unreachable: regression metric ${name}`);
}

// ---------------------------------------------------------------- public API

/**
 * Computes one metric.
 *
 * Classification (`predictions.problem_type === "classification"`): `yTrue` is a categorical column
 * (a numeric one is read as labels `String(value)`), matched to `predictions.classes` by label.
 * - `accuracy`; `precision`, `recall`, `f1` for binary problems only, with the positive class
 *   `predictions.classes[1]`;
 * - `precision_macro|weighted`, `recall_macro|weighted`, `f1_macro|weighted`, averaged over the labels
 *   present in `yTrue` or the predictions (weighted by true support); undefined ratios count as 0;
 * - `log_loss` (probabilities clipped to `[eps, 1-eps]`, mean over rows), `roc_auc` and `pr_auc`
 *   (binary: score = probability of `classes[1]`), `roc_auc_ovr` (one-vs-rest macro average; with
 *   two classes the same as `roc_auc`). These need `predictions.proba`. ROC AUC is NaN when a class
 *   has no positive or no negative row, as in scikit-learn.
 *
 * Regression: `mse`, `rmse`, `mae`, `mape` (a fraction, not a percent; `|y - p| / max(|y|, eps)`),
 * `r2` (1 when y is constant and predicted exactly, 0 when constant and not; NaN under 2 rows).
 *
 * @throws DataError for an unknown name (listing the valid ones), a metric of the other problem
 * type, a binary metric on more than two classes, missing probabilities, missing `yTrue` values or
 * mismatched lengths.
 */
export function computeMetric(name: string, yTrue: Column, predictions: Predictions): number {
  assertKnown(name);
  const kind: ProblemType = REGRESSION_METRICS.has(name) ? "regression" : "classification";
  if (kind !== predictions.problem_type) {
    const valid = [
      ...(predictions.problem_type === "regression" ? REGRESSION_METRICS : CLASSIFICATION_METRICS),
    ];
    throw new DataError({
      message: `metric "${name}" applies to ${kind}, but the predictions are for ${predictions.problem_type}; ${predictions.problem_type} metrics are: ${valid.join(", ")}`,
      code: "metric_not_applicable",
      details: { metric: name, problem_type: predictions.problem_type },
    });
  }
  return predictions.problem_type === "classification"
    ? classificationMetric(name, yTrue, predictions)
    : regressionMetric(name, yTrue, predictions);
}

/**
 * Computes several metrics (see {@link computeMetric}); the result has one key per name, in order.
 * @throws DataError as {@link computeMetric}, on the first metric that cannot be computed.
 */
export function computeMetrics(
  names: string[],
  yTrue: Column,
  predictions: Predictions,
): Record<string, number> {
  for (const name of names) assertKnown(name);
  const out: Record<string, number> = {};
  for (const name of names) out[name] = computeMetric(name, yTrue, predictions);
  return out;
}

// ---------------------------------------------------------------- notes

/** Labels of `yTrue` that occur at least once (the number's text for a numeric column). */
function presentLabels(yTrue: Column): Set<string> {
  const out = new Set<string>();
  if (yTrue.type === "categorical") {
    const used = new Uint8Array(yTrue.dictionary.length);
    for (let i = 0; i < yTrue.codes.length; i++) if (yTrue.codes[i]! >= 0) used[yTrue.codes[i]!] = 1;
    yTrue.dictionary.forEach((d, i) => used[i] && out.add(d));
  } else for (const v of yTrue.values) if (!Number.isNaN(v)) out.add(String(v));
  return out;
}

const quoted = (labels: string[]) => labels.map((l) => JSON.stringify(l)).join(", ");

/**
 * Why a computed metric value should not be read at face value, in one sentence for the summary
 * and the JSON output; undefined when there is nothing to say.
 * - `mape` when some actual values are 0: it divides by `max(|y|, eps)`, so each such row adds
 *   about |error| / 2.2e-16 and the value is meaningless;
 * - a NaN value: why it is undefined (ROC AUC with a class absent from `yTrue`, R² under two rows).
 */
export function metricNote(
  name: string,
  yTrue: Column,
  predictions: Predictions,
  value: number,
): string | undefined {
  if (name === "mape" && yTrue.type === "numeric") {
    let zeros = 0;
    for (const v of yTrue.values) if (v === 0) zeros++;
    if (zeros > 0)
      return `${zeros} of ${yTrue.values.length} actual values are 0 and MAPE divides by |actual|, so it is not meaningful here: compare models by mae or rmse (or drop mape from metrics)`;
  }
  if (!Number.isNaN(value)) return undefined;
  if (name === "r2") return "R² is undefined with fewer than 2 rows";
  if (predictions.problem_type === "classification" && PROBABILITY_METRICS.has(name)) {
    const present = presentLabels(yTrue);
    const absent = predictions.classes.filter((c) => !present.has(c));
    if (name === "roc_auc_ovr" && absent.length)
      return `class ${quoted(absent)} ${absent.length === 1 ? "has" : "have"} no row in these actual values: its one-vs-rest ROC AUC is undefined, and so is the average (use more data, or a stratified split)`;
    if ((name === "roc_auc" || name === "pr_auc") && present.size < 2)
      return `only ${quoted([...present])} occurs in these actual values: ${name === "roc_auc" ? "ROC AUC" : "average precision"} needs rows of both classes (use more data, or a stratified split)`;
  }
  return "undefined on these rows";
}

/** {@link metricNote} for each metric of `values` that has one. */
export function metricNotes(
  values: Record<string, number>,
  yTrue: Column,
  predictions: Predictions,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const note = metricNote(name, yTrue, predictions, value);
    if (note) out[name] = note;
  }
  return out;
}
