/**
 * Bounded Nelder–Mead minimisation: the simplex method with the dimension-adaptive coefficients of
 * Gao & Han (2012), every trial point clamped into the box `[lower, upper]`. This is the optimizer
 * family the forecast package (R) and statsforecast fit ETS models with: derivative free, robust to the
 * flat and kinked likelihood surfaces of exponential smoothing.
 */

/** Options of {@link nelderMead}. */
export interface NelderMeadOptions {
  /** Lower bound per coordinate (`-Infinity` for none). Default: all `-Infinity`. */
  lower?: ArrayLike<number>;
  /** Upper bound per coordinate (`Infinity` for none). Default: all `Infinity`. */
  upper?: ArrayLike<number>;
  /** Relative size of the first simplex: coordinate `x` becomes `x * (1 + initStep)`. Default 0.05. */
  initStep?: number;
  /** Step used for a coordinate that starts at exactly 0. Default 1e-4. */
  zeroStep?: number;
  /** Stops when the standard deviation of the simplex's values falls below this. Default 1e-4. */
  tolerance?: number;
  /** Iteration limit. Default 1000. */
  maxIterations?: number;
  /** Dimension-adaptive expansion, contraction and shrink coefficients (Gao & Han). Default true. */
  adaptive?: boolean;
}

/** What {@link nelderMead} found. */
export interface NelderMeadResult {
  /** The best point. */
  x: Float64Array;
  /** The objective at `x`. */
  value: number;
  /** Iterations run. */
  iterations: number;
  /** Objective evaluations. */
  evaluations: number;
  /** True when the tolerance was reached (false: the iteration limit). */
  converged: boolean;
}

function clampInto(x: Float64Array, lower: ArrayLike<number>, upper: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lower[i]!) x[i] = lower[i]!;
    else if (v > upper[i]!) x[i] = upper[i]!;
  }
}

/** Population standard deviation; NaN when a value is not finite (the search goes on). */
function spread(values: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / values.length);
}

/**
 * Minimises `f` from `x0` inside the box. `f` may return `Infinity` for infeasible points (they are
 * never chosen over finite ones). `f` must not keep the array it is given.
 */
export function nelderMead(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const n = x0.length;
  const lower = options.lower ?? new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const upper = options.upper ?? new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const initStep = options.initStep ?? 0.05;
  const zeroStep = options.zeroStep ?? 1e-4;
  const tolerance = options.tolerance ?? 1e-4;
  const maxIterations = options.maxIterations ?? 1000;
  const reflect = 1;
  let expand = 2;
  let contract = 0.5;
  let shrink = 0.5;
  if (options.adaptive ?? true) {
    expand = 1 + 2 / n;
    contract = 0.75 - 1 / (2 * n);
    shrink = 1 - 1 / n;
  }
  let evaluations = 0;
  const evaluate = (x: Float64Array) => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };

  // n + 1 vertices in one row-major block: x0, then x0 with coordinate i moved by the initial step.
  const start = Float64Array.from(x0);
  clampInto(start, lower, upper);
  const block = new Float64Array((n + 1) * n);
  const simplex: Float64Array[] = [];
  for (let i = 0; i <= n; i++) {
    const row = block.subarray(i * n, (i + 1) * n);
    row.set(start);
    simplex.push(row);
  }
  for (let i = 0; i < n; i++) {
    const v = simplex[i]![i]!;
    const moved = v === 0 ? zeroStep : v * (1 + initStep);
    simplex[i]![i] = Math.min(Math.max(moved, lower[i]!), upper[i]!);
  }
  const values = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) values[i] = evaluate(simplex[i]!);

  const centroid = new Float64Array(n);
  const xr = new Float64Array(n);
  const xe = new Float64Array(n);
  const xc = new Float64Array(n);
  let best = 0;
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    if (spread(values) < tolerance) {
      converged = true;
      break;
    }
    // best, worst and second worst as a stable sort by value would order them (ties by index)
    best = 0;
    let worst = 0;
    for (let i = 1; i <= n; i++) {
      const v = values[i]!;
      if (v < values[best]!) best = i;
      if (v >= values[worst]!) worst = i;
    }
    let secondWorst = worst === 0 ? 1 : 0;
    for (let i = 0; i <= n; i++) if (i !== worst && values[i]! >= values[secondWorst]!) secondWorst = i;
    const w = simplex[worst]!;
    // column sums row by row (the same additions, in the same order, as column by column)
    centroid.fill(0);
    for (let i = 0, at = 0; i <= n; i++)
      for (let j = 0; j < n; j++, at++) centroid[j] = centroid[j]! + block[at]!;
    for (let j = 0; j < n; j++) centroid[j] = (centroid[j]! - w[j]!) / n;
    for (let j = 0; j < n; j++) xr[j] = centroid[j]! + reflect * (centroid[j]! - w[j]!);
    clampInto(xr, lower, upper);
    const fr = evaluate(xr);
    if (values[best]! <= fr && fr < values[secondWorst]!) {
      w.set(xr);
      values[worst] = fr;
      continue;
    }
    if (fr < values[best]!) {
      for (let j = 0; j < n; j++) xe[j] = centroid[j]! + expand * (xr[j]! - centroid[j]!);
      clampInto(xe, lower, upper);
      const fe = evaluate(xe);
      if (fe < fr) {
        w.set(xe);
        values[worst] = fe;
      } else {
        w.set(xr);
        values[worst] = fr;
      }
      continue;
    }
    if (values[secondWorst]! <= fr && fr < values[worst]!) {
      // outside contraction
      for (let j = 0; j < n; j++) xc[j] = centroid[j]! + contract * (xr[j]! - centroid[j]!);
      clampInto(xc, lower, upper);
      const fc = evaluate(xc);
      if (fc <= fr) {
        w.set(xc);
        values[worst] = fc;
        continue;
      }
    } else {
      // inside contraction
      for (let j = 0; j < n; j++) xc[j] = centroid[j]! - contract * (xr[j]! - centroid[j]!);
      clampInto(xc, lower, upper);
      const fc = evaluate(xc);
      if (fc < values[worst]!) {
        w.set(xc);
        values[worst] = fc;
        continue;
      }
    }
    // shrink every vertex towards the best one
    const b = simplex[best]!;
    for (let i = 0; i <= n; i++) {
      if (i === best) continue;
      const v = simplex[i]!;
      for (let j = 0; j < n; j++) v[j] = b[j]! + shrink * (v[j]! - b[j]!);
      clampInto(v, lower, upper);
      values[i] = evaluate(v);
    }
  }
  // the best vertex now (the loop's `best` may be stale after the last replacement)
  best = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[best]!) best = i;
  return {
    x: Float64Array.from(simplex[best]!),
    value: values[best]!,
    iterations: Math.min(iterations + 1, maxIterations),
    evaluations,
    converged,
  };
}
