import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.TemporalConfigError");

/**
 * The `orchestrator:` section or a command-line option is wrong (unknown key, bad duration, bad
 * retry policy) or Temporal cannot be reached. The message names the key and says what to do.
 */
export class TemporalConfigError extends LolpopError {
  private readonly [MARKER] = true;

  constructor(opts: { message: string; code?: string; cause?: unknown }) {
    super({ message: opts.message, code: opts.code ?? "temporal_config", cause: opts.cause });
    this.name = "TemporalConfigError";
  }

  /** True for this error from any copy of `@lolpop/temporal`. */
  static override isInstance(error: unknown): error is TemporalConfigError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
