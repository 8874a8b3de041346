import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.UiError");

/**
 * A request or a setup the UI refuses: a bad argument, an unknown run or version, an action
 * without the CSRF token or on a read-only server. `status` is the HTTP status of the answer
 * (default 400); the message says what to do and never holds a secret.
 */
export class UiError extends LolpopError {
  private readonly [MARKER] = true;
  /** HTTP status of the answer (400, 403, 404, 409...). */
  readonly status: number;

  constructor(opts: { message: string; status?: number; code?: string; cause?: unknown }) {
    super({ message: opts.message, code: opts.code ?? "ui_error", cause: opts.cause });
    this.name = "UiError";
    this.status = opts.status ?? 400;
  }

  /** True for this error from any copy of `@lolpop/ui`. */
  static override isInstance(error: unknown): error is UiError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
