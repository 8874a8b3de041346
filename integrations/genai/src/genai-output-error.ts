import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.GenaiOutputError");

/**
 * The model's answer is not a JSON value matching the requested schema, even after the repair round
 * (or it was cut at the token limit). The message lists the validation problems; `excerpt` holds the
 * start of the last answer, with secrets removed.
 */
export class GenaiOutputError extends LolpopError {
  private readonly [MARKER] = true;
  /** Validation problems of the last answer, e.g. `/summary: must be string`. */
  readonly problems: string[];
  /** Start of the last answer (at most 500 characters), scrubbed of secrets. */
  readonly excerpt: string;
  /** True when the answer was cut at the token limit. */
  readonly truncated: boolean;

  constructor(opts: {
    message: string;
    provider: string;
    model: string;
    problems: string[];
    excerpt: string;
    truncated: boolean;
    attempts: number;
  }) {
    super({
      message: opts.message,
      code: "genai_invalid_output",
      details: {
        provider: opts.provider,
        model: opts.model,
        problems: opts.problems,
        truncated: opts.truncated,
        attempts: opts.attempts,
      },
    });
    this.name = "GenaiOutputError";
    this.problems = opts.problems;
    this.excerpt = opts.excerpt;
    this.truncated = opts.truncated;
  }

  /** True for this error from any copy of `@lolpop/genai`. */
  static override isInstance(error: unknown): error is GenaiOutputError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
