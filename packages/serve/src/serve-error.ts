import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.ServeError");

/**
 * A request or a setup that serving refuses: a malformed body, an unknown model reference, a
 * missing alias. `status` is the HTTP status the server answers with (default 400 for requests);
 * the message says what to do and never holds a secret.
 */
export class ServeError extends LolpopError {
  private readonly [MARKER] = true;
  /** HTTP status of the answer (400, 401, 404, 413, 415, 503...). */
  readonly status: number;

  constructor(opts: {
    message: string;
    status?: number;
    code?: string;
    details?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super({
      message: opts.message,
      code: opts.code ?? "serve_error",
      details: opts.details,
      cause: opts.cause,
    });
    this.name = "ServeError";
    this.status = opts.status ?? 400;
  }

  /** True for this error from any copy of `@lolpop/serve`. */
  static override isInstance(error: unknown): error is ServeError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
