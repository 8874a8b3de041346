/**
 * From lolpop tables and columns to the dense Float32 matrices a network trains on, and back.
 * Plain typed-array loops; nothing here touches TensorFlow.js.
 */
import { createRng, DataError, type Table } from "@lolpop/core";

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
