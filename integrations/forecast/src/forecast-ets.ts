/**
 * Exponential smoothing state space models (ETS: error, trend, seasonal; Hyndman, Koehler, Ord and
 * Snyder, "Forecasting with Exponential Smoothing", 2008), fitted by maximum likelihood with a bounded
 * Nelder–Mead search, selected by AICc over the candidate models like AutoETS, with prediction
 * intervals. Pure TypeScript over `Float64Array`s.
 *
 * The fitting choices follow statsforecast's `ETS`/`AutoETS` (the reference the tests compare
 * against): initial states from a classical decomposition (or a Fourier regression for short
 * series) and a regression on the first seasonally adjusted points, smoothing parameters in
 * `[1e-4, 0.9999]` with `β` at most the starting `α` and `γ` at most `1 - α₀`, `φ` in `[0.8, 0.98]`, the
 * last seasonal state fixed by the normalisation, and the concentrated likelihood
 * `n log(SSE) (+ 2 Σ log|ŷ|)` as the objective.
 */
import { createRng } from "@lolpop/core";
import { ForecastModelError } from "./forecast-model-error.js";
import { nelderMead } from "./forecast-nelder-mead.js";
import { levelMultiplier } from "./forecast-normal.js";

/** Error component: additive or multiplicative. */
export type EtsErrorType = "A" | "M";
/** Trend or seasonal component: none, additive or multiplicative. */
export type EtsComponentType = "N" | "A" | "M";

/** One ETS model: `ETS(error, trend[d], season)`. */
export interface EtsSpec {
  error: EtsErrorType;
  trend: EtsComponentType;
  season: EtsComponentType;
  /** Damped trend (`φ < 1`); only with a trend. */
  damped: boolean;
}

/** Smoothing parameters (NaN for a component the model does not have). */
export interface EtsParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

/** Information criterion used to choose between candidate models. */
export type EtsCriterion = "aicc" | "aic" | "bic";

/** Options of {@link fitEts}. */
export interface EtsOptions {
  /**
   * Observations per seasonal cycle (12 for monthly data with a yearly cycle). Default 1 (no
   * seasonality). Series with `seasonLength` or fewer points are fitted without a seasonal component
   * when the season is `Z`.
   */
  seasonLength?: number;
  /**
   * Three letters: error (`A`, `M`, `Z`), trend (`N`, `A`, `M`, `Z`), season (`N`, `A`, `M`, `Z`).
   * `Z` lets the criterion choose. Default `"ZZZ"` (AutoETS).
   */
  model?: string;
  /** Damped trend: true, false, or undefined to try both (when the trend may be non-`N`). */
  damped?: boolean;
  /** Let `Z` trend include the multiplicative trend. Default false (as AutoETS). */
  allowMultiplicativeTrend?: boolean;
  /** Criterion for choosing among candidates. Default `"aicc"`. */
  ic?: EtsCriterion;
  /** Fixed smoothing parameters (estimated when absent). */
  alpha?: number;
  beta?: number;
  gamma?: number;
  phi?: number;
  /** Iteration limit of the Nelder–Mead search per candidate. Default 1000. */
  maxIterations?: number;
  /** Name used in error messages, e.g. the series id. */
  name?: string;
}

/** A fitted ETS model: everything needed to forecast, and the fit's statistics. */
export interface EtsModel {
  spec: EtsSpec;
  /** `ETS(A,Ad,M)`-style name. */
  method: string;
  /** Season length actually used (1 without a seasonal component). */
  seasonLength: number;
  params: EtsParams;
  /** Initial state `[l, b?, s_1..s_m]` (seasonal states oldest last). */
  initialState: Float64Array;
  /** State after the last observation, same layout. */
  lastState: Float64Array;
  /** One-step residuals (relative errors for multiplicative error models). */
  residuals: Float64Array;
  /** One-step fitted values. */
  fitted: Float64Array;
  /** Variance of the residuals (`SSE / (n - k)`), the innovation variance of the intervals. */
  sigma2: number;
  loglik: number;
  aic: number;
  aicc: number;
  bic: number;
  /** Mean squared one-step error on the original scale. */
  mse: number;
  /** Estimated parameters, including the initial states and the variance. */
  nParams: number;
  /** Observations fitted. */
  nobs: number;
  /** Iterations the optimizer ran. */
  iterations: number;
  /** Likelihood evaluations the optimizer made. */
  evaluations: number;
}

/** One prediction interval. */
export interface ForecastInterval {
  /** Coverage in percent, e.g. 95. */
  level: number;
  lower: Float64Array;
  upper: Float64Array;
}

/** Point forecasts and intervals of one series. */
export interface PointForecast {
  mean: Float64Array;
  intervals: ForecastInterval[];
}

const LOWER = [1e-4, 1e-4, 1e-4, 0.8] as const;
const UPPER = [0.9999, 0.9999, 0.9999, 0.98] as const;
const TOL = 1e-10;
const HUGE = 1e10;

/** `ETS(A,Ad,N)`. */
export function etsMethodName(spec: EtsSpec): string {
  return `ETS(${spec.error},${spec.trend}${spec.damped ? "d" : ""},${spec.season})`;
}

// ------------------------------------------------------------------ the recursions

/** Where {@link runModel} writes the residuals, fitted values, final state and SSE on the original scale. */
interface RunOutput {
  residuals: Float64Array;
  fitted: Float64Array;
  lastState: Float64Array;
  sse: { value: number };
}

/** A compiled recursion for one model structure: see {@link runModel}. */
type Kernel = (y: Float64Array, m: number, par: Float64Array, ring: Float64Array, out?: RunOutput) => number;

/**
 * JavaScript source of the recursion for one structure (error, trend, season; with or without
 * outputs). Each structure gets its own function so V8 optimizes it for that structure alone: one
 * shared function for every model was about three times slower per step, its loop variables boxed
 * (the optimizer merged the feedback of all structures). The arithmetic, and its order, is the same
 * for every structure as written out here once.
 */
function kernelSource(
  error: EtsErrorType,
  trend: EtsComponentType,
  season: EtsComponentType,
  withOut: boolean,
): string {
  const TOLs = "1e-10";
  const HUGEs = "1e10";
  const lines: string[] = [];
  const add = (cond: boolean, ...code: string[]) => {
    if (cond) lines.push(...code);
  };
  add(true, "const n = y.length;", "const alpha = par[0];", "const betaRatio = par[1] / alpha;");
  add(true, "const gamma = par[2];", "const phi = par[3];", `const dampedOne = Math.abs(phi - 1) < ${TOLs};`);
  add(
    true,
    "let l = par[4];",
    "let b = par[5];",
    "let head = 0;",
    "let sse = 0;",
    "let sse0 = 0;",
    "let logSum = 0;",
  );
  add(true, "for (let t = 0; t < n; t++) {", "  let q = l;", "  let phiB = 0;");
  add(trend === "A", "  phiB = phi * b;", "  q = l + phiB;");
  add(trend === "M", "  phiB = dampedOne ? b : b ** phi;", "  q = l * phiB;");
  add(true, "  let f = q;", "  let oldS = 0;", "  let oldIdx = 0;");
  add(season !== "N", "  oldIdx = head === 0 ? m - 1 : head - 1;", "  oldS = ring[oldIdx];");
  add(season === "A", "  f = q + oldS;");
  add(season === "M", "  f = q * oldS;");
  add(trend === "M", "  if (b < 0) f = NaN;");
  add(true, "  const yt = y[t];");
  add(
    error === "M",
    `  const e = (yt - f) / (Math.abs(f) < ${TOLs} ? f + ${TOLs} : f);`,
    "  const af = Math.abs(f);",
    "  logSum += Math.log(af > 0 ? af : af + 1e-8);",
  );
  add(error === "A", "  const e = yt - f;");
  add(true, "  sse += e * e;");
  add(withOut, "  out.residuals[t] = e;", "  out.fitted[t] = f;", "  sse0 += (yt - f) * (yt - f);");
  add(season === "N", "  const p = yt;");
  add(season === "A", "  const p = yt - oldS;");
  add(season === "M", `  const p = Math.abs(oldS) < ${TOLs} ? ${HUGEs} : yt / oldS;`);
  add(true, "  const oldL = l;", "  l = q + alpha * (p - q);");
  add(trend === "A", "  b = phiB + betaRatio * (l - oldL - phiB);");
  add(trend === "M", `  b = phiB + betaRatio * ((Math.abs(oldL) < ${TOLs} ? ${HUGEs} : l / oldL) - phiB);`);
  add(season === "A", "  const tt = yt - q;");
  add(season === "M", `  const tt = Math.abs(q) < ${TOLs} ? ${HUGEs} : yt / q;`);
  add(season !== "N", "  ring[oldIdx] = oldS + gamma * (tt - oldS);", "  head = oldIdx;");
  add(true, "}");
  add(withOut, "out.sse.value = sse0;", "const x = out.lastState;", "let k = 0;", "x[k++] = l;");
  add(withOut && trend !== "N", "x[k++] = b;");
  add(withOut && season !== "N", "for (let j = 0; j < m; j++) x[k++] = ring[(head + j) % m];");
  add(true, "let lik = n * Math.log(sse > 0 ? sse : sse + 1e-8);");
  add(error === "M", "lik += 2 * logSum;");
  add(true, "return lik;");
  return lines.join("\n");
}

const kernels = new Map<string, Kernel>();

function kernelFor(spec: EtsSpec, withOut: boolean): Kernel {
  const key = `${spec.error}${spec.trend}${spec.season}${withOut ? "+" : ""}`;
  let k = kernels.get(key);
  if (!k) {
    // generated from the fixed templates above (no outside input), like ajv compiles its validators
    k = new Function(
      "y",
      "m",
      "par",
      "ring",
      "out",
      kernelSource(spec.error, spec.trend, spec.season, withOut),
    ) as Kernel;
    kernels.set(key, k);
  }
  return k;
}

/**
 * Runs the model over `y` and returns `n log(SSE) (+ 2 Σ log|ŷ|)` (the objective), or NaN when the
 * forecast is undefined. `par` holds `[α, β, γ, φ, l0, b0]` (β, γ, b0 = 0 and φ = 1 for absent
 * components); `seasonal` the starting seasonal states, newest first. When `out` is given, fills
 * residuals, fitted values and the final state. Seasonal states live in a ring buffer while running:
 * `ring[head]` is the newest, `ring[head - 1 (mod m)]` the oldest, which applies to the next point.
 */
function runModel(
  y: Float64Array,
  spec: EtsSpec,
  m: number,
  par: Float64Array,
  seasonal: Float64Array,
  ring: Float64Array,
  out?: RunOutput,
): number {
  if (spec.season !== "N") ring.set(seasonal);
  return kernelFor(spec, out !== undefined)(y, m, par, ring, out);
}

/** Point forecasts from a state `[l, b?, s_1..s_m]` (seasonal oldest last). */
function forecastFromState(
  state: Float64Array,
  spec: EtsSpec,
  m: number,
  phi: number,
  h: number,
  out: Float64Array,
): void {
  const l = state[0]!;
  const hasTrend = spec.trend !== "N";
  const b = hasTrend ? state[1]! : 0;
  const s0 = hasTrend ? 2 : 1;
  let phiStar = phi;
  for (let i = 0; i < h; i++) {
    let f: number;
    if (spec.trend === "N") f = l;
    else if (spec.trend === "A") f = l + phiStar * b;
    else f = b < 0 ? Number.NaN : l * b ** phiStar;
    if (spec.season !== "N") {
      const j = m - 1 - (i % m);
      f = spec.season === "A" ? f + state[s0 + j]! : f * state[s0 + j]!;
    }
    out[i] = f;
    phiStar += Math.abs(phi - 1) < TOL ? 1 : phi ** (i + 2);
  }
}

// ------------------------------------------------------------------ initial states

/** Least squares `X b = y` (columns given as arrays), by modified Gram–Schmidt QR. */
function leastSquares(columns: Float64Array[], y: Float64Array): Float64Array {
  const k = columns.length;
  const n = y.length;
  const q = columns.map((c) => Float64Array.from(c));
  const r = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const qj = q[j]!;
    for (let i = 0; i < j; i++) {
      const qi = q[i]!;
      let dot = 0;
      for (let t = 0; t < n; t++) dot += qi[t]! * qj[t]!;
      r[i * k + j] = dot;
      for (let t = 0; t < n; t++) qj[t] = qj[t]! - dot * qi[t]!;
    }
    let norm = 0;
    for (let t = 0; t < n; t++) norm += qj[t]! * qj[t]!;
    norm = Math.sqrt(norm);
    r[j * k + j] = norm;
    if (norm > 0) for (let t = 0; t < n; t++) qj[t] = qj[t]! / norm;
  }
  const qty = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let dot = 0;
    for (let t = 0; t < n; t++) dot += q[j]![t]! * y[t]!;
    qty[j] = dot;
  }
  const beta = new Float64Array(k);
  for (let j = k - 1; j >= 0; j--) {
    let v = qty[j]!;
    for (let i = j + 1; i < k; i++) v -= r[j * k + i]! * beta[i]!;
    const d = r[j * k + j]!;
    beta[j] = d > 1e-12 ? v / d : 0;
  }
  return beta;
}

/**
 * Seasonal pattern of `y` for the initial states: the classical decomposition (centred moving
 * average; seasonal indices averaged per position and normalised), or, for fewer than three cycles,
 * `y` minus a linear trend fitted together with one Fourier pair. Returns a value per observation.
 */
function seasonalPattern(y: Float64Array, m: number, multiplicative: boolean): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  if (n < 3 * m) {
    const one = new Float64Array(n).fill(1);
    const t = new Float64Array(n);
    const cos = new Float64Array(n);
    const sin = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = i + 1;
      cos[i] = Math.cos((2 * Math.PI * (i + 1)) / m);
      sin[i] = Math.sin((2 * Math.PI * (i + 1)) / m);
    }
    // With m = 2 the sine column is zero.
    const cols = m === 2 ? [one, t, cos] : [one, t, cos, sin];
    const coef = leastSquares(cols, y);
    for (let i = 0; i < n; i++) {
      const trendValue = coef[0]! + coef[1]! * t[i]!;
      out[i] = multiplicative ? y[i]! / trendValue : y[i]! - trendValue;
    }
    return out;
  }
  // centred moving average: weights 1/m (odd m) or [1/2, 1, ..., 1, 1/2]/m (even m)
  const half = Math.floor(m / 2);
  const sums = new Float64Array(m);
  const counts = new Float64Array(m);
  for (let i = half; i < n - half; i++) {
    let s = 0;
    if (m % 2 === 1) for (let j = -half; j <= half; j++) s += y[i + j]!;
    else {
      for (let j = -half + 1; j < half; j++) s += y[i + j]!;
      s += 0.5 * (y[i - half]! + y[i + half]!);
    }
    const trendValue = s / m;
    sums[i % m] = sums[i % m]! + (multiplicative ? y[i]! / trendValue : y[i]! - trendValue);
    counts[i % m] = counts[i % m]! + 1;
  }
  const avg = new Float64Array(m);
  let mean = 0;
  for (let j = 0; j < m; j++) {
    avg[j] = sums[j]! / counts[j]!;
    mean += avg[j]!;
  }
  mean /= m;
  for (let j = 0; j < m; j++) avg[j] = multiplicative ? avg[j]! / mean : avg[j]! - mean;
  for (let i = 0; i < n; i++) out[i] = avg[i % m]!;
  return out;
}

/** Starting states `[l, b?, s_{m-1}..s_1]` (the last seasonal state follows from the normalisation). */
function initialStates(y: Float64Array, m: number, spec: EtsSpec): Float64Array {
  const n = y.length;
  let seasonInit: number[] = [];
  let adjusted = y;
  if (spec.season !== "N") {
    const mult = spec.season === "M";
    const pattern = seasonalPattern(y, m, mult);
    seasonInit = [];
    for (let j = m - 1; j >= 1; j--) seasonInit.push(pattern[j]!);
    adjusted = new Float64Array(n);
    if (!mult) for (let i = 0; i < n; i++) adjusted[i] = y[i]! - pattern[i]!;
    else {
      seasonInit = seasonInit.map((v) => Math.max(v, 1e-2));
      const sum = seasonInit.reduce((a, v) => a + v, 0);
      if (sum > m) {
        const denom = seasonInit.reduce((a, v) => a + v + 1e-2, 0);
        seasonInit = seasonInit.map((v) => v / denom);
      }
      for (let i = 0; i < n; i++) adjusted[i] = y[i]! / Math.max(pattern[i]!, 1e-2);
    }
  }
  const mm = spec.season === "N" ? 1 : m;
  const maxn = Math.min(Math.max(10, 2 * mm), n);
  if (spec.trend === "N") {
    let s = 0;
    for (let i = 0; i < maxn; i++) s += adjusted[i]!;
    return Float64Array.from([s / maxn, ...seasonInit]);
  }
  const t = new Float64Array(maxn);
  for (let i = 0; i < maxn; i++) t[i] = i + 1;
  const coef = leastSquares([new Float64Array(maxn).fill(1), t], adjusted.subarray(0, maxn));
  const l = coef[0]!;
  const b = coef[1]!;
  let l0: number;
  let b0: number;
  if (spec.trend === "A") {
    l0 = l;
    b0 = b;
    // keep l0 + b0 away from 0 (a multiplicative error divides by it)
    if (Math.abs(l0 + b0) < 1e-8) {
      l0 *= 1 + 1e-3;
      b0 *= 1 - 1e-3;
    }
  } else {
    l0 = l + b;
    if (Math.abs(l0) < 1e-8) l0 = 1e-7;
    b0 = (l + 2 * b) / l0;
    l0 = l0 / (Math.abs(b0) < 1e-8 ? 1e-8 : b0);
    if (Math.abs(b0) > 1e10) b0 = Math.sign(b0) * 1e10;
    if (l0 < 1e-8 || b0 < 1e-8) {
      l0 = Math.max(adjusted[0]!, 1e-3);
      b0 = Math.max(adjusted[1]! / (Math.abs(adjusted[0]!) < 1e-8 ? 1e-8 : adjusted[0]!), 1e-3);
    }
  }
  return Float64Array.from([l0, b0, ...seasonInit]);
}

// ------------------------------------------------------------------ one model

interface FixedParams {
  alpha?: number;
  beta?: number;
  gamma?: number;
  phi?: number;
}

/** Fits one ETS model by maximum likelihood. Returns undefined when the series is too short for it. */
function fitOne(
  y: Float64Array,
  m: number,
  spec: EtsSpec,
  fixed: FixedParams,
  maxIterations: number,
): EtsModel | undefined {
  const n = y.length;
  if (spec.season === "N") m = 1;
  // starting values and bounds of the smoothing parameters
  const lower: number[] = [...LOWER];
  const upper: number[] = [...UPPER];
  let alpha = fixed.alpha ?? lower[0] + (0.2 * (upper[0] - lower[0])) / m;
  if (fixed.alpha === undefined && (alpha > 1 || alpha < 0)) alpha = lower[0] + 2e-3;
  let beta = Number.NaN;
  let gamma = Number.NaN;
  let phi = Number.NaN;
  if (spec.trend !== "N") {
    upper[1] = Math.min(upper[1], alpha);
    beta = fixed.beta ?? lower[1] + 0.1 * (upper[1] - lower[1]);
    if (fixed.beta === undefined && (beta < 0 || beta > alpha)) beta = alpha - 1e-3;
  }
  if (spec.season !== "N") {
    upper[2] = Math.min(upper[2], 1 - alpha);
    gamma = fixed.gamma ?? lower[2] + 0.05 * (upper[2] - lower[2]);
    if (fixed.gamma === undefined && (gamma < 0 || gamma > 1 - alpha)) gamma = 1 - alpha - 1e-3;
  }
  if (spec.damped) {
    phi = fixed.phi ?? lower[3] + 0.99 * (upper[3] - lower[3]);
    if (fixed.phi === undefined && (phi < 0 || phi > 1)) phi = upper[3] - 1e-3;
  }
  const init = initialStates(y, m, spec);
  const nState = init.length;
  const free: Array<0 | 1 | 2 | 3> = [];
  if (fixed.alpha === undefined) free.push(0);
  if (spec.trend !== "N" && fixed.beta === undefined) free.push(1);
  if (spec.season !== "N" && fixed.gamma === undefined) free.push(2);
  if (spec.damped && fixed.phi === undefined) free.push(3);
  const start = [alpha, beta, gamma, phi];
  const x0 = new Float64Array(free.length + nState);
  const lo = new Float64Array(x0.length).fill(Number.NEGATIVE_INFINITY);
  const hi = new Float64Array(x0.length).fill(Number.POSITIVE_INFINITY);
  free.forEach((which, i) => {
    x0[i] = start[which]!;
    lo[i] = lower[which]!;
    hi[i] = upper[which]!;
  });
  x0.set(init, free.length);
  const nParams = x0.length;
  if (nParams >= n - 1) return undefined;

  const hasTrend = spec.trend !== "N";
  const sStart = hasTrend ? 2 : 1;
  const multSeason = spec.season === "M";
  const seasonal = new Float64Array(m);
  const ring = new Float64Array(m);
  const values = [alpha, beta, gamma, phi];
  // unpack a parameter vector into smoothing values and the full seasonal start vector
  const unpack = (x: Float64Array): boolean => {
    for (let i = 0; i < free.length; i++) values[free[i]!] = x[i]!;
    if (spec.season !== "N") {
      let sum = 0;
      for (let j = 0; j < m - 1; j++) {
        const v = x[free.length + sStart + j]!;
        seasonal[j] = v;
        sum += v;
      }
      seasonal[m - 1] = (multSeason ? m : 0) - sum;
      if (multSeason) for (let j = 0; j < m; j++) if (seasonal[j]! < 0) return false;
    }
    return true;
  };
  const par = new Float64Array(6);
  const hasSeason = spec.season !== "N";
  const objective = (x: Float64Array): number => {
    if (!unpack(x)) return Number.POSITIVE_INFINITY;
    par[0] = values[0]!;
    par[1] = hasTrend ? values[1]! : 0;
    par[2] = hasSeason ? values[2]! : 0;
    par[3] = spec.damped ? values[3]! : 1;
    par[4] = x[free.length]!;
    par[5] = hasTrend ? x[free.length + 1]! : 0;
    const lik = runModel(y, spec, m, par, seasonal, ring);
    if (Number.isNaN(lik)) return Number.POSITIVE_INFINITY;
    return Math.max(lik, -1e10);
  };
  const result = nelderMead(objective, x0, { lower: lo, upper: hi, maxIterations });
  const best = result.x;
  unpack(best);
  const stateLen = 1 + (hasTrend ? 1 : 0) + (spec.season !== "N" ? m : 0);
  const initialState = new Float64Array(stateLen);
  initialState[0] = best[free.length]!;
  if (hasTrend) initialState[1] = best[free.length + 1]!;
  if (spec.season !== "N") initialState.set(seasonal, sStart);
  const params = {
    alpha: values[0]!,
    beta: hasTrend ? values[1]! : Number.NaN,
    gamma: spec.season !== "N" ? values[2]! : Number.NaN,
    phi: spec.damped ? values[3]! : Number.NaN,
  };
  return evaluateModel(y, spec, m, params, initialState, nParams + 1, result.iterations, result.evaluations);
}

/** Runs a model with known parameters over `y` and computes its statistics (`k` parameters incl. the variance). */
function evaluateModel(
  y: Float64Array,
  spec: EtsSpec,
  m: number,
  params: EtsParams,
  initialState: Float64Array,
  k: number,
  iterations: number,
  evaluations: number,
): EtsModel | undefined {
  const n = y.length;
  const hasTrend = spec.trend !== "N";
  const sStart = hasTrend ? 2 : 1;
  const seasonal = spec.season !== "N" ? initialState.slice(sStart, sStart + m) : new Float64Array(m);
  const residuals = new Float64Array(n);
  const fitted = new Float64Array(n);
  const lastState = new Float64Array(initialState.length);
  const sse = { value: 0 };
  const par = Float64Array.of(
    params.alpha,
    hasTrend ? params.beta : 0,
    spec.season !== "N" ? params.gamma : 0,
    spec.damped ? params.phi : 1,
    initialState[0]!,
    hasTrend ? initialState[1]! : 0,
  );
  const lik = runModel(y, spec, m, par, seasonal, new Float64Array(m), { residuals, fitted, lastState, sse });
  if (!Number.isFinite(lik)) return undefined;
  const aic = lik + 2 * k;
  const bic = lik + Math.log(n) * k;
  const aicc = n - k - 1 !== 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Number.POSITIVE_INFINITY;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += residuals[i]! * residuals[i]!;
  return {
    spec,
    method: etsMethodName(spec),
    seasonLength: m,
    params: { ...params },
    initialState: Float64Array.from(initialState),
    lastState,
    residuals,
    fitted,
    sigma2: ss / (n - k - 1),
    loglik: -0.5 * lik,
    aic,
    aicc,
    bic,
    mse: sse.value / n,
    nParams: k,
    nobs: n,
    iterations,
    evaluations,
  };
}

/** What {@link applyEts} needs: a model's structure and parameters (e.g. from another fit). */
export interface EtsParameters {
  spec: EtsSpec;
  /** Season length (ignored without a seasonal component). */
  seasonLength: number;
  params: EtsParams;
  /** Initial state `[l, b?, s_1..s_m]` (seasonal states oldest last). */
  initialState: ArrayLike<number>;
}

/**
 * Runs an ETS model with given parameters and initial state over `y` (no estimation): its
 * likelihood, residuals, final state and forecasts-ready model. For checking a fit against another
 * implementation's parameters, or re-running a model on extended data.
 * @throws ForecastModelError when the state does not match the model or the recursion breaks down.
 */
export function applyEts(y: ArrayLike<number>, model: EtsParameters): EtsModel {
  const m = model.spec.season === "N" ? 1 : model.seasonLength;
  const expected = 1 + (model.spec.trend !== "N" ? 1 : 0) + (model.spec.season !== "N" ? m : 0);
  if (model.initialState.length !== expected)
    throw new ForecastModelError({
      message: `${etsMethodName(model.spec)} with season length ${m} has ${expected} initial states, got ${model.initialState.length}`,
      code: "ets_state_invalid",
    });
  const free =
    1 +
    (model.spec.trend !== "N" ? 1 : 0) +
    (model.spec.season !== "N" ? 1 : 0) +
    (model.spec.damped ? 1 : 0);
  const k = free + expected - (model.spec.season !== "N" ? 1 : 0) + 1;
  const result = evaluateModel(
    Float64Array.from(y),
    model.spec,
    m,
    model.params,
    Float64Array.from(model.initialState),
    k,
    0,
    0,
  );
  if (!result)
    throw new ForecastModelError({
      message: `${etsMethodName(model.spec)}: the recursion breaks down on this series with these parameters`,
      code: "ets_not_finite",
    });
  return result;
}

// ------------------------------------------------------------------ selection

function parseModel(model: string, name: string): [string, string, string] {
  const s = model.toUpperCase();
  if (!/^[AMZ][NAMZ][NAMZ]$/.test(s))
    throw new ForecastModelError({
      message: `ETS model "${model}"${name}: use three letters, error A/M/Z, trend N/A/M/Z, season N/A/M/Z (e.g. "ZZZ", "AAN", "MAM")`,
      code: "ets_model_invalid",
    });
  return [s[0]!, s[1]!, s[2]!];
}

/** True for combinations AutoETS excludes as numerically unstable (additive error with a multiplicative part, `M,M,A`). */
function forbidden(e: string, t: string, s: string): boolean {
  return (e === "A" && (t === "M" || s === "M")) || (e === "M" && t === "M" && s === "A");
}

/**
 * Fits an ETS model to `y` (no missing values), choosing among the candidates the `model` letters
 * allow by `ic` (AICc by default), as statsforecast's AutoETS does.
 * @throws ForecastModelError for an invalid model string, a forbidden or inapplicable model (a
 * multiplicative component with values <= 0, a seasonal model without enough points), missing values,
 * or when no candidate can be fitted.
 */
export function fitEts(y: ArrayLike<number>, options: EtsOptions = {}): EtsModel {
  const name = options.name ? ` (series ${options.name})` : "";
  const data = Float64Array.from(y);
  const n = data.length;
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(data[i]!))
      throw new ForecastModelError({
        message: `ETS${name}: value ${i} is ${data[i]}; fill or drop missing values before fitting`,
        code: "ets_missing_value",
      });
  const m = Math.max(1, Math.floor(options.seasonLength ?? 1));
  const ic = options.ic ?? "aicc";
  const maxIterations = options.maxIterations ?? 1000;
  let [e, t, s] = parseModel(options.model ?? "ZZZ", name);
  const fixed: FixedParams = {
    alpha: options.alpha,
    beta: options.beta,
    gamma: options.gamma,
    phi: options.phi,
  };
  if (n < 3)
    throw new ForecastModelError({
      message: `ETS${name}: ${n} observation(s); at least 3 are needed`,
      code: "ets_too_short",
    });
  let constant = true;
  for (let i = 1; i < n && constant; i++) if (data[i] !== data[0]) constant = false;
  if (constant) {
    const model = fitOne(
      data,
      1,
      { error: "A", trend: "N", season: "N", damped: false },
      { alpha: 0.9999 },
      maxIterations,
    );
    if (model) return model;
  }
  if ((s === "A" || s === "M") && m === 1)
    throw new ForecastModelError({
      message: `ETS${name}: a seasonal model (${s}) needs seasonLength > 1`,
      code: "ets_not_seasonal",
    });
  if (s !== "N" && n <= m) {
    if (s !== "Z")
      throw new ForecastModelError({
        message: `ETS${name}: ${n} observation(s) do not cover one season of ${m}; use a non-seasonal model or more data`,
        code: "ets_too_short",
      });
    s = "N";
  }
  if (m === 1 && s === "Z") s = "N";
  if (forbidden(e, t, s))
    throw new ForecastModelError({
      message: `ETS${name}: ETS(${e},${t},${s}) is not allowed (additive error with a multiplicative component, or M,M,A, is numerically unstable)`,
      code: "ets_model_forbidden",
    });
  let positive = true;
  for (let i = 0; i < n; i++) if (!(data[i]! > 0)) positive = false;
  if (!positive && (e === "M" || t === "M" || s === "M"))
    throw new ForecastModelError({
      message: `ETS${name}: a multiplicative component needs values > 0, and the series has values <= 0; use an additive model`,
      code: "ets_not_positive",
    });
  if (options.damped && t === "N")
    throw new ForecastModelError({
      message: `ETS${name}: a damped trend needs a trend (the model's trend letter is N)`,
      code: "ets_model_forbidden",
    });
  const errors = e === "Z" ? ["A", "M"] : [e];
  const trends = t === "Z" ? (options.allowMultiplicativeTrend ? ["N", "A", "M"] : ["N", "A"]) : [t];
  const seasons = s === "Z" ? ["N", "A", "M"] : [s];
  const dampings = options.damped === undefined ? [true, false] : [options.damped];
  let best: EtsModel | undefined;
  let bestIc = Number.POSITIVE_INFINITY;
  for (const ee of errors)
    for (const tt of trends)
      for (const ss of seasons)
        for (const dd of dampings) {
          if (tt === "N" && dd) continue;
          if (forbidden(ee, tt, ss)) continue;
          if (!positive && (ee === "M" || ss === "M" || tt === "M")) continue;
          if (ss !== "N" && m === 1) continue;
          const spec: EtsSpec = {
            error: ee as EtsErrorType,
            trend: tt as EtsComponentType,
            season: ss as EtsComponentType,
            damped: dd,
          };
          const model = fitOne(data, m, spec, fixed, maxIterations);
          if (!model) continue;
          const value = model[ic];
          if (!Number.isNaN(value) && value < bestIc) {
            best = model;
            bestIc = value;
          }
        }
  if (!best)
    throw new ForecastModelError({
      message: `ETS${name}: no candidate model could be fitted to ${n} observation(s) (each needs more observations than parameters + 1); use a simpler model or more data`,
      code: "ets_no_model",
    });
  return best;
}

// ------------------------------------------------------------------ forecasts and intervals

/** Sum of `c_j²` for the linear-model variance, `c_j = α + β Σφ^i + γ [j mod m = 0]`. */
function cValues(model: EtsModel, h: number): Float64Array {
  const { alpha, beta, gamma } = model.params;
  const phi = model.spec.damped ? model.params.phi : 1;
  const m = model.seasonLength;
  const c = new Float64Array(h);
  let phiSum = 0;
  let phiPow = 1;
  for (let j = 1; j <= h; j++) {
    phiPow *= phi;
    phiSum += phiPow;
    let v = alpha;
    if (model.spec.trend !== "N") v += beta * phiSum;
    if (model.spec.season !== "N" && j % m === 0) v += gamma;
    c[j - 1] = v;
  }
  return c;
}

/**
 * Forecast variances: exact for the linear models (additive error, no multiplicative part) and the
 * multiplicative-error models with additive trend and season (Hyndman et al. 2008, ch. 6, classes 1
 * and 2); undefined for the others (their intervals are simulated).
 */
function analyticVariance(model: EtsModel, mean: Float64Array): Float64Array | undefined {
  const h = mean.length;
  const { spec, sigma2 } = model;
  if (spec.trend === "M" || spec.season === "M") return undefined;
  const c = cValues(model, h);
  const v = new Float64Array(h);
  if (spec.error === "A") {
    let acc = 0;
    for (let i = 0; i < h; i++) {
      v[i] = sigma2 * (1 + acc);
      acc += c[i]! * c[i]!;
    }
    return v;
  }
  const theta = new Float64Array(h);
  for (let k = 0; k < h; k++) {
    let sum = 0;
    for (let j = 1; j <= k; j++) sum += c[j - 1]! * c[j - 1]! * theta[k - j]!;
    theta[k] = mean[k]! * mean[k]! + sigma2 * sum;
    v[k] = (1 + sigma2) * theta[k]! - mean[k]! * mean[k]!;
  }
  return v;
}

/** Quantile of sorted values, linear interpolation between order statistics (numpy's default). */
function sortedQuantile(sorted: Float64Array, p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Simulates `paths` future sample paths of `h` steps from the model's last state with normal
 * innovations (`N(0, σ²)`, relative for multiplicative errors). Returns one array of `paths` values per step.
 */
export function simulatePaths(model: EtsModel, h: number, paths: number, seed = 1): Float64Array[] {
  const m = model.seasonLength;
  const spec = model.spec;
  const phi = spec.damped ? model.params.phi : 1;
  const rng = createRng(seed);
  const sd = Math.sqrt(model.sigma2);
  const sims: Float64Array[] = Array.from({ length: h }, () => new Float64Array(paths));
  const trend = spec.trend === "N" ? 0 : spec.trend === "A" ? 1 : 2;
  const season = spec.season === "N" ? 0 : spec.season === "A" ? 1 : 2;
  const multError = spec.error === "M";
  const sStart = trend ? 2 : 1;
  const { alpha } = model.params;
  const betaRatio = trend ? model.params.beta / alpha : 0;
  const gamma = season ? model.params.gamma : 0;
  const dampedOne = Math.abs(phi - 1) < TOL;
  // seasonal states as a ring: s[(head + j) % m] is the j-th newest
  const s = new Float64Array(Math.max(m, 1));
  let spare = Number.NaN;
  const normal = () => {
    // Box–Muller, both values used
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = Number.NaN;
      return v;
    }
    let u = rng();
    while (u <= 0) u = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rng();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  for (let p = 0; p < paths; p++) {
    let l = model.lastState[0]! * 1;
    let b = trend ? model.lastState[1]! * 1 : 0;
    if (season) for (let j = 0; j < m; j++) s[j] = model.lastState[sStart + j]!;
    let head = 0;
    for (let i = 0; i < h; i++) {
      let q = l;
      let phiB = 0;
      if (trend === 1) {
        phiB = phi * b;
        q = l + phiB;
      } else if (trend === 2) {
        phiB = dampedOne ? b : b ** phi;
        q = l * phiB;
      }
      const oldIdx = head === 0 ? m - 1 : head - 1;
      const oldS = season ? s[oldIdx]! : 0;
      let f = season === 1 ? q + oldS : season === 2 ? q * oldS : q;
      if (trend === 2 && b < 0) f = Number.NaN;
      const eps = sd * normal();
      const yv = multError ? f * (1 + eps) : f + eps;
      sims[i]![p] = yv;
      const pp = season === 1 ? yv - oldS : season === 2 ? (Math.abs(oldS) < TOL ? HUGE : yv / oldS) : yv;
      const oldL = l;
      l = q + alpha * (pp - q);
      if (trend === 1) b = phiB + betaRatio * (l - oldL - phiB);
      else if (trend === 2) b = phiB + betaRatio * ((Math.abs(oldL) < TOL ? HUGE : l / oldL) - phiB);
      if (season) {
        const tt = season === 1 ? yv - q : Math.abs(q) < TOL ? HUGE : yv / q;
        s[oldIdx] = oldS + gamma * (tt - oldS);
        head = oldIdx;
      }
    }
  }
  return sims;
}

/** Options of {@link forecastEts}. */
export interface EtsForecastOptions {
  /**
   * Simulate the intervals even when closed-form variances exist (they always are for models with
   * a multiplicative trend or season). Default false.
   */
  simulate?: boolean;
  /** Interval levels in percent, e.g. `[80, 95]`. Default: none. */
  level?: readonly number[];
  /** Paths simulated for models without closed-form variances. Default 5000. */
  simulations?: number;
  /** Seed of those simulations. Default 1. */
  seed?: number;
}

/** Forecasts `h` steps ahead from the end of the fitted series, with intervals at the given levels. */
export function forecastEts(model: EtsModel, h: number, options: EtsForecastOptions = {}): PointForecast {
  if (!Number.isInteger(h) || h < 1)
    throw new ForecastModelError({
      message: `forecast horizon must be a positive integer, got ${h}`,
      code: "horizon_invalid",
    });
  const phi = model.spec.damped ? model.params.phi : 1;
  const m = model.seasonLength;
  const mean = new Float64Array(h);
  forecastFromState(model.lastState, model.spec, m, phi, h, mean);
  const levels = [...(options.level ?? [])].sort((a, b) => a - b);
  const intervals: ForecastInterval[] = [];
  if (!levels.length) return { mean, intervals };
  const variance = options.simulate ? undefined : analyticVariance(model, mean);
  if (variance) {
    for (const level of levels) {
      const z = levelMultiplier(level);
      const lower = new Float64Array(h);
      const upper = new Float64Array(h);
      for (let i = 0; i < h; i++) {
        const sd = Math.sqrt(variance[i]!);
        lower[i] = mean[i]! - z * sd;
        upper[i] = mean[i]! + z * sd;
      }
      intervals.push({ level, lower, upper });
    }
    return { mean, intervals };
  }
  const sims = simulatePaths(model, h, options.simulations ?? 5000, options.seed ?? 1);
  for (const level of levels) {
    const lower = new Float64Array(h);
    const upper = new Float64Array(h);
    for (let i = 0; i < h; i++) {
      const sorted = Float64Array.from(sims[i]!).sort();
      lower[i] = sortedQuantile(sorted, 0.5 - level / 200);
      upper[i] = sortedQuantile(sorted, 0.5 + level / 200);
    }
    intervals.push({ level, lower, upper });
  }
  return { mean, intervals };
}
