import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.ForecastModelError");

/**
 * A forecaster cannot be fitted or used as asked: an invalid option (model letters, horizon, lags),
 * a model that does not apply to the data (a multiplicative component with values <= 0, a seasonal
 * model on a series shorter than its season), or a trainer that returned no usable model.
 */
export class ForecastModelError extends LolpopError {
  private readonly [MARKER] = true;

  constructor(opts: { message: string; code?: string; details?: Record<string, unknown>; cause?: unknown }) {
    super({
      message: opts.message,
      code: opts.code ?? "forecast_model_invalid",
      details: opts.details,
      cause: opts.cause,
    });
    this.name = "ForecastModelError";
  }

  /** True for this error from any copy of `@lolpop/forecast`. */
  static override isInstance(error: unknown): error is ForecastModelError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
