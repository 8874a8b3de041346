import {
  CancelledError,
  type Column,
  checkPredictFeatures,
  DataError,
  type FitInput,
  type ProblemType,
  type Table,
} from "@lolpop/core";
import { RANDOM_FOREST_TRAINER_TYPE } from "./random-forest-params.js";

/** `"a", "b"` */
export function quote(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}

/** Throws a {@link DataError}. */
export function fail(message: string, code: string, details?: Record<string, unknown>): never {
  throw new DataError({ message, code, details });
}

/** Throws a {@link CancelledError} when one of the signals is aborted. */
export function checkAborted(signals: Array<AbortSignal | undefined>, path: string): void {
  for (const s of signals) if (s?.aborted) throw new CancelledError({ path, reason: s.reason });
}

/** Numeric feature columns of `X`, or a DataError naming the non-numeric ones. */
export function numericFeatures(X: Table, names: readonly string[], action: string): Float64Array[] {
  const bad = names.filter((n) => X.column(n).type !== "numeric");
  if (bad.length) {
    throw new DataError({
      message: `${RANDOM_FOREST_TRAINER_TYPE} cannot ${action}: feature column(s) ${quote(bad)} are not numeric. Encode them first with a feature_transformer (such as LocalFeatureTransformer) or drop them.`,
      code: "non_numeric_features",
      details: { columns: bad },
    });
  }
  return names.map((n) => X.numeric(n));
}

/** The feature columns of `X` in the model's training order; errors name missing and unexpected columns. */
export function predictColumns(X: Table, featureNames: readonly string[]): Float64Array[] {
  checkPredictFeatures(X, featureNames, RANDOM_FOREST_TRAINER_TYPE);
  return numericFeatures(X, featureNames, "predict");
}

/** Target of a classification as class indices in `classes` order. */
export function encodeClasses(y: Column, classes: readonly string[]): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const n = y.type === "numeric" ? y.values.length : y.codes.length;
  const out = new Int32Array(n);
  const unknown = new Set<string>();
  let missing = 0;
  let firstMissing = -1;
  if (y.type === "categorical") {
    const map = y.dictionary.map((label) => index.get(label) ?? -1);
    for (let i = 0; i < n; i++) {
      const c = y.codes[i]!;
      if (c < 0) {
        missing++;
        if (firstMissing < 0) firstMissing = i;
        continue;
      }
      const k = map[c]!;
      if (k < 0) unknown.add(y.dictionary[c]!);
      out[i] = k;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = y.values[i]!;
      if (Number.isNaN(v)) {
        missing++;
        if (firstMissing < 0) firstMissing = i;
        continue;
      }
      const k = index.get(String(v)) ?? -1;
      if (k < 0) unknown.add(String(v));
      out[i] = k;
    }
  }
  if (missing) {
    throw new DataError({
      message: `the target has ${missing} missing value(s) (first at row ${firstMissing}); drop or fill those rows before training`,
      code: "missing_target",
    });
  }
  if (unknown.size) {
    throw new DataError({
      message: `the target has label(s) ${quote([...unknown].slice(0, 10))} that are not among the classes ${quote(classes)}`,
      code: "unknown_class",
      details: { labels: [...unknown], classes },
    });
  }
  return out;
}

/** Class labels present in `y`, sorted, when the caller gave none. */
export function classesOf(y: Column): string[] {
  const seen = new Set<string>();
  if (y.type === "categorical") {
    for (const c of y.codes) if (c >= 0) seen.add(y.dictionary[c]!);
  } else {
    for (const v of y.values) if (!Number.isNaN(v)) seen.add(String(v));
  }
  return [...seen].sort((a, b) => a.localeCompare(b, "en"));
}

/** Checked training data, common to both engines. */
export interface PreparedData {
  problem: ProblemType;
  featureNames: string[];
  /** Feature columns in `featureNames` order (NaN = missing). */
  columns: Float64Array[];
  /** Rows. */
  n: number;
  /** Classification: the classes in order. */
  classes?: string[];
  /** Classification: class index per row; regression: the target. */
  target: Int32Array | Float64Array;
}

/** Checks the problem type, features and target of a fit, with clear errors. */
export function prepareFitData(input: FitInput): PreparedData {
  const problem = input.problem_type;
  if (problem !== "classification" && problem !== "regression") {
    fail(
      `problem_type must be "classification" or "regression", got ${JSON.stringify(problem)}`,
      "invalid_problem_type",
    );
  }
  const X = input.X;
  const featureNames = X.columnsWithRole("feature");
  if (featureNames.length === 0) {
    fail(`${RANDOM_FOREST_TRAINER_TYPE} needs at least one feature column, X has none`, "no_features");
  }
  const columns = numericFeatures(X, featureNames, "fit");
  const n = X.numRows;
  const yLength = input.y.type === "numeric" ? input.y.values.length : input.y.codes.length;
  if (yLength !== n) fail(`X has ${n} rows but y has ${yLength} values`, "length_mismatch");

  if (problem === "classification") {
    const classes = input.classes ? [...input.classes] : classesOf(input.y);
    if (new Set(classes).size !== classes.length)
      fail(`classes contain duplicates: ${quote(classes)}`, "invalid_classes");
    if (classes.length < 2) {
      fail(
        `classification needs at least 2 classes, got ${classes.length} (${quote(classes)}); check the target column or use regression`,
        "too_few_classes",
      );
    }
    const target = encodeClasses(input.y, classes);
    const present = new Set(target);
    if (present.size < 2) {
      fail(
        `classification needs at least 2 distinct classes in the training target, but every row is ${JSON.stringify(classes[target[0] ?? 0])}`,
        "too_few_classes",
      );
    }
    return { problem, featureNames, columns, n, classes, target };
  }
  if (input.y.type !== "numeric") {
    const sample = input.y.dictionary.slice(0, 3);
    fail(
      `regression needs a numeric target, but the target is categorical (values like ${quote(sample)}); use classification for labels or convert the column to numbers`,
      "non_numeric_target",
    );
  }
  const values = input.y.values;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!)) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  if (bad) {
    fail(
      `the target has ${bad} missing or infinite value(s) (first at row ${firstBad}); drop or fill those rows before training`,
      "missing_target",
    );
  }
  return { problem, featureNames, columns, n, target: values };
}

/** File written by `TrainedModel.save` (both engines): the model's header, readable JSON. */
export const MODEL_FILE = "model.json";
/** `format` field of `model.json`. */
export const MODEL_FORMAT = "lolpop.random-forest.model";
/**
 * Newest `model.json` layout this code reads. Version 1: ml-random-forest models (still written for
 * that engine); version 2: adds `engine`, and histogram models keep their trees in `forest.bin`.
 */
export const MODEL_FORMAT_VERSION = 2;

/** An array of strings. */
export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

/** An array of numbers. */
export function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((s) => typeof s === "number");
}
