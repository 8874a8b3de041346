/**
 * The checks every model trainer makes on what it is asked to fit: the problem type, the
 * classification target as class indices (with the class list), the regression target as numbers.
 * Errors are `DataError`s that say which rows are wrong and what to do.
 */
import type { FitInput, ProblemType } from "../contracts.js";
import { DataError } from "../errors.js";
import { type Column, columnLength } from "../table.js";

const quote = (names: readonly string[]) => names.map((n) => JSON.stringify(n)).join(", ");

/**
 * Checks that `problem` is `classification` or `regression` (a runner or a tuner may pass anything).
 * @throws DataError `invalid_problem_type`
 */
export function checkProblemType(problem: unknown): asserts problem is ProblemType {
  if (problem !== "classification" && problem !== "regression")
    throw new DataError({
      message: `problem_type must be "classification" or "regression", got ${JSON.stringify(problem)}`,
      code: "invalid_problem_type",
    });
}

/**
 * The class labels present in `y`, sorted (locale `en`): the classes of a fit when the caller gave
 * none (`FitInput.classes`). A categorical label is its dictionary string, a numeric one its
 * `String(value)`; missing values are skipped.
 */
export function classesOf(y: Column): string[] {
  const seen = new Set<string>();
  if (y.type === "categorical") {
    for (const c of y.codes) if (c >= 0) seen.add(y.dictionary[c]!);
  } else {
    for (const v of y.values) if (!Number.isNaN(v)) seen.add(String(v));
  }
  return [...seen].sort((a, b) => a.localeCompare(b, "en"));
}

/**
 * A classification target as indices into `classes` (matched by label, as {@link classesOf}).
 * @param what How messages name the column, e.g. `"the validation target"`. Default `"the target"`.
 * @throws DataError `missing_target` (a missing label, with the first row) or `unknown_class` (labels
 * outside `classes`).
 */
export function encodeClasses(y: Column, classes: readonly string[], what = "the target"): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const n = columnLength(y);
  const out = new Int32Array(n);
  const unknown = new Set<string>();
  let missing = 0;
  let firstMissing = -1;
  const codeOf = y.type === "categorical" ? y.dictionary.map((label) => index.get(label) ?? -1) : undefined;
  for (let i = 0; i < n; i++) {
    let k: number;
    let label: string;
    if (y.type === "categorical") {
      const c = y.codes[i]!;
      if (c < 0) k = -2;
      else {
        k = codeOf![c]!;
        label = y.dictionary[c]!;
      }
    } else {
      const v = y.values[i]!;
      if (Number.isNaN(v)) k = -2;
      else {
        label = String(v);
        k = index.get(label) ?? -1;
      }
    }
    if (k === -2) {
      missing++;
      if (firstMissing < 0) firstMissing = i;
    } else if (k === -1) unknown.add(label!);
    else out[i] = k;
  }
  if (missing)
    throw new DataError({
      message: `${what} has ${missing} missing value(s) (first at row ${firstMissing}); drop or fill those rows before training`,
      code: "missing_target",
    });
  if (unknown.size)
    throw new DataError({
      message: `${what} has label(s) ${quote([...unknown].slice(0, 10))} that are not among the classes ${quote(classes)}`,
      code: "unknown_class",
      details: { labels: [...unknown], classes: [...classes] },
    });
  return out;
}

/** A checked classification target: the classes and each row's class index. */
export interface ClassificationTarget {
  /** The class labels, in the order the model's outputs use. */
  classes: string[];
  /** Index into `classes` per row. */
  codes: Int32Array;
}

/**
 * The classification target of a fit: `classes` (default: {@link classesOf} `y`) checked for
 * duplicates and for at least two classes, and `y` encoded with {@link encodeClasses}, with at
 * least two distinct classes among the rows.
 * @throws DataError `invalid_classes`, `too_few_classes`, or those of {@link encodeClasses}.
 */
export function classificationTarget(
  y: Column,
  classes?: readonly string[],
  what = "the target",
): ClassificationTarget {
  const list = classes ? [...classes] : classesOf(y);
  if (new Set(list).size !== list.length)
    throw new DataError({ message: `classes contain duplicates: ${quote(list)}`, code: "invalid_classes" });
  if (list.length < 2)
    throw new DataError({
      message: `classification needs at least 2 classes, got ${list.length} (${quote(list)}); check the target column or use regression`,
      code: "too_few_classes",
    });
  const codes = encodeClasses(y, list, what);
  if (new Set(codes).size < 2)
    throw new DataError({
      message: `classification needs at least 2 distinct classes in the training target, but every row is ${JSON.stringify(list[codes[0] ?? 0])}`,
      code: "too_few_classes",
    });
  return { classes: list, codes };
}

/**
 * A regression target as numbers.
 * @param what How messages name the column. Default `"the target"`.
 * @throws DataError `non_numeric_target` (a categorical column) or `missing_target` (missing or
 * infinite values, with the first row).
 */
export function regressionTarget(y: Column, what = "the target"): Float64Array {
  if (y.type !== "numeric")
    throw new DataError({
      message: `regression needs a numeric target, but ${what} is categorical (values like ${quote(y.dictionary.slice(0, 3))}); use classification for labels or convert the column to numbers`,
      code: "non_numeric_target",
    });
  let bad = 0;
  let first = -1;
  for (let i = 0; i < y.values.length; i++) {
    if (!Number.isFinite(y.values[i]!)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad)
    throw new DataError({
      message: `${what} has ${bad} missing or infinite value(s) (first at row ${first}); drop or fill those rows before training`,
      code: "missing_target",
    });
  return y.values;
}

/** What {@link fitTarget} returns: the problem, the classes (classification) and the target. */
export type FitTarget =
  | { problem: "classification"; classes: string[]; target: Int32Array }
  | { problem: "regression"; classes?: undefined; target: Float64Array };

/**
 * The checked target of a `fit`: {@link checkProblemType}, then {@link classificationTarget} of
 * `input.y` and `input.classes`, or {@link regressionTarget}.
 */
export function fitTarget(
  input: Pick<FitInput, "problem_type" | "y" | "classes">,
  what = "the target",
): FitTarget {
  checkProblemType(input.problem_type);
  if (input.problem_type === "regression")
    return { problem: "regression", target: regressionTarget(input.y, what) };
  const { classes, codes } = classificationTarget(input.y, input.classes, what);
  return { problem: "classification", classes, target: codes };
}
