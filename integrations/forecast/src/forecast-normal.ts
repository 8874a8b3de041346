/**
 * The standard normal distribution for prediction intervals: its CDF from the all-positive Taylor
 * series `Φ(x) = 1/2 + φ(x) Σ x^(2k+1) / (2k+1)!!` (no cancellation, full double precision for the
 * quantiles intervals use) and its quantile by Newton steps on that CDF.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Density of the standard normal. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** `Φ(x) - 1/2` for `|x| <= 9`, from the series above. */
function centralMass(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let k = 1; k < 500; k++) {
    term *= x2 / (2 * k + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return normalPdf(x) * sum;
}

/** Cumulative distribution function of the standard normal. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x > 9) return 1;
  if (x < -9) return 0;
  return 0.5 + centralMass(x);
}

/**
 * Quantile of the standard normal: the `x` with `Φ(x) = p`, for `p` in (1e-15, 1 - 1e-15).
 * @throws RangeError for `p` outside (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile: p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  // Solve Φ(x) - 1/2 = p - 1/2 (keeps precision near the centre); start from a logistic-type guess.
  const target = p - 0.5;
  let x = 4.91 * (p ** 0.14 - (1 - p) ** 0.14);
  for (let i = 0; i < 60; i++) {
    const step = (centralMass(x) - target) / normalPdf(x);
    // Halley's correction: Φ'' = -x φ
    const next = x - step / (1 + 0.5 * x * step);
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x))) {
      x = next;
      break;
    }
    x = next;
  }
  return x;
}

/** The two-sided interval multiplier for a level in percent (95 -> 1.959964...). */
export function levelMultiplier(level: number): number {
  if (!(level > 0 && level < 100))
    throw new RangeError(`interval level must be a percentage in (0, 100), got ${level}`);
  return normalQuantile(0.5 + level / 200);
}
