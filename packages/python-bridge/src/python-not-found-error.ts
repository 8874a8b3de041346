import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.PythonNotFoundError");

/** No usable Python interpreter: the configured one does not exist, or none was found. */
export class PythonNotFoundError extends LolpopError {
  private readonly [MARKER] = true;
  /** Interpreters tried, in order, with why each was rejected. */
  readonly tried: Array<{ candidate: string; source: string; problem: string }>;

  constructor(opts: {
    message: string;
    tried: Array<{ candidate: string; source: string; problem: string }>;
    cause?: unknown;
  }) {
    super({
      message: opts.message,
      code: "python_not_found",
      details: { tried: opts.tried },
      cause: opts.cause,
    });
    this.name = "PythonNotFoundError";
    this.tried = opts.tried;
  }

  /** True for this error from any copy of `@lolpop/python-bridge`. */
  static override isInstance(error: unknown): error is PythonNotFoundError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
