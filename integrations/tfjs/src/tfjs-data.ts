/**
 * From lolpop tables and columns to the dense Float32 matrices a network trains on, and back.
 * Plain typed-array loops; nothing here touches TensorFlow.js.
 */
import { type Column, createRng, DataError, type Table } from "@lolpop/core";

/** Quotes names for messages. */
export function quote(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}

function fail(message: string, code: string, details?: Record<string, unknown>): never {
  throw new DataError({ message, code, details });
}

/** The numeric feature columns of `X` in `names` order; a categorical feature is an error. */
export function numericFeatures(
  X: Table,
  names: readonly string[],
  trainer: string,
  stage: "fit" | "predict",
): Float64Array[] {
  const categorical = names.filter((n) => X.column(n).type !== "numeric");
  if (categorical.length) {
    fail(
      `${trainer} needs numeric features, but ${quote(categorical)} ${categorical.length === 1 ? "is" : "are"} categorical at ${stage}. ` +
        "Add a feature_transformer (e.g. LocalFeatureTransformer, which one-hot encodes and standardizes) to the train pipeline.",
      "non_numeric_feature",
      { columns: categorical },
    );
  }
  return names.map((n) => X.numeric(n));
}

/** Per-feature mean of the finite values (0 for a column without any). */
export function columnMeans(columns: readonly Float64Array[]): {
  means: number[];
  stds: number[];
  missing: number;
  allMissing: number[];
} {
  const means: number[] = [];
  const stds: number[] = [];
  const allMissing: number[] = [];
  let missing = 0;
  columns.forEach((col, j) => {
    let sum = 0;
    let sq = 0;
    let count = 0;
    for (let i = 0; i < col.length; i++) {
      const v = col[i]!;
      if (Number.isFinite(v)) {
        sum += v;
        sq += v * v;
        count++;
      } else missing++;
    }
    if (count === 0) allMissing.push(j);
    const mean = count ? sum / count : 0;
    means.push(mean);
    stds.push(count ? Math.sqrt(Math.max(0, sq / count - mean * mean)) : 0);
  });
  return { means, stds, missing, allMissing };
}

/** Row-major `n x d` Float32 matrix of `columns`; non-finite values replaced by `means`. */
export function toMatrix(columns: readonly Float64Array[], means: readonly number[]): Float32Array {
  const d = columns.length;
  const n = d ? columns[0]!.length : 0;
  const out = new Float32Array(n * d);
  for (let j = 0; j < d; j++) {
    const col = columns[j]!;
    const m = means[j]!;
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      out[i * d + j] = Number.isFinite(v) ? v : m;
    }
  }
  return out;
}

/** Number of values of a column. */
export function columnSize(y: Column): number {
  return y.type === "numeric" ? y.values.length : y.codes.length;
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

/** A classification target as indices into `classes`; missing or unknown labels are errors. */
export function encodeClasses(y: Column, classes: readonly string[], what = "the target"): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const n = columnSize(y);
  const out = new Int32Array(n);
  const unknown = new Set<string>();
  let missing = 0;
  let firstMissing = -1;
  for (let i = 0; i < n; i++) {
    let label: string | undefined;
    if (y.type === "categorical") {
      const c = y.codes[i]!;
      if (c >= 0) label = y.dictionary[c];
    } else if (!Number.isNaN(y.values[i]!)) label = String(y.values[i]);
    if (label === undefined) {
      missing++;
      if (firstMissing < 0) firstMissing = i;
      continue;
    }
    const k = index.get(label);
    if (k === undefined) unknown.add(label);
    else out[i] = k;
  }
  if (missing) {
    fail(
      `${what} has ${missing} missing value(s) (first at row ${firstMissing}); drop or fill those rows before training`,
      "missing_target",
    );
  }
  if (unknown.size) {
    fail(
      `${what} has label(s) ${quote([...unknown].slice(0, 10))} that are not among the classes ${quote(classes)}`,
      "unknown_class",
      { labels: [...unknown], classes },
    );
  }
  return out;
}

/** A regression target as numbers; missing or infinite values are errors. */
export function numericTarget(y: Column, what = "the target"): Float64Array {
  if (y.type !== "numeric") {
    fail(
      `regression needs a numeric target, but ${what} is categorical (values like ${quote(y.dictionary.slice(0, 3))}); use classification for labels or convert the column to numbers`,
      "non_numeric_target",
    );
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < y.values.length; i++) {
    if (!Number.isFinite(y.values[i]!)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) {
    fail(
      `${what} has ${bad} missing or infinite value(s) (first at row ${first}); drop or fill those rows before training`,
      "missing_target",
    );
  }
  return y.values;
}

/** A seeded Fisher-Yates permutation of 0..n-1 drawn from `rand`. */
export function permutation(n: number, rand: () => number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/** Independent seeded streams derived from one seed (initializers, batch order, dropout masks). */
export function seedStreams(seed: number): {
  init: () => number;
  order: () => number;
  dropout: () => number;
} {
  const base = createRng(seed >>> 0);
  const next = () => Math.floor(base() * 0x7fffffff);
  const init = createRng(next());
  const order = createRng(next());
  const dropout = createRng(next());
  return {
    init: () => Math.floor(init() * 0x7fffffff),
    order,
    dropout: () => Math.floor(dropout() * 0x7fffffff),
  };
}
