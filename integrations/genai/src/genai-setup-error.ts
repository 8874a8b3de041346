import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.GenaiSetupError");

/**
 * A provider cannot start: bad settings, node-llama-cpp not installed, the model file missing or
 * corrupt, the model download failed. The message says what to do.
 */
export class GenaiSetupError extends LolpopError {
  private readonly [MARKER] = true;

  constructor(opts: { message: string; code?: string; details?: Record<string, unknown>; cause?: unknown }) {
    super({
      message: opts.message,
      code: opts.code ?? "genai_setup",
      details: opts.details,
      cause: opts.cause,
    });
    this.name = "GenaiSetupError";
  }

  /** True for this error from any copy of `@lolpop/genai`. */
  static override isInstance(error: unknown): error is GenaiSetupError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
