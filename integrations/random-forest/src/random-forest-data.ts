import {
  CancelledError,
  checkPredictFeatures,
  checkProblemType,
  columnLength,
  DataError,
  type FitInput,
  fitTarget,
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
  checkProblemType(input.problem_type);
  const X = input.X;
  const featureNames = X.columnsWithRole("feature");
  if (featureNames.length === 0) {
    fail(`${RANDOM_FOREST_TRAINER_TYPE} needs at least one feature column, X has none`, "no_features");
  }
  const columns = numericFeatures(X, featureNames, "fit");
  const n = X.numRows;
  const yLength = columnLength(input.y);
  if (yLength !== n) fail(`X has ${n} rows but y has ${yLength} values`, "length_mismatch");
  const { problem, classes, target } = fitTarget(input);
  return { problem, featureNames, columns, n, ...(classes ? { classes } : {}), target };
}

/** The fields of `model.json` that describe any fitted model: problem type, params, features, classes. */
export function modelFields<P extends object>(model: {
  problem_type: ProblemType;
  params: Readonly<P>;
  feature_names: readonly string[];
  classes?: readonly string[];
}): { problem_type: ProblemType; params: P; feature_names: string[]; classes?: string[] } {
  return {
    problem_type: model.problem_type,
    params: { ...model.params } as P,
    feature_names: [...model.feature_names],
    ...(model.classes ? { classes: [...model.classes] } : {}),
  };
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
