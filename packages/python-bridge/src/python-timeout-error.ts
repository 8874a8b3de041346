import { SubprocessError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.PythonTimeoutError");

/** A worker call ran past its timeout; the worker was stopped (the next call starts a new one). */
export class PythonTimeoutError extends SubprocessError {
  private readonly [MARKER] = true;
  /** The method called. */
  readonly method: string;
  /** The timeout that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  /** Pid of the worker that was stopped. */
  readonly pid?: number;

  constructor(opts: {
    command: string;
    message: string;
    method: string;
    timeoutMs: number;
    pid?: number;
    stderr?: string;
  }) {
    super({ command: opts.command, message: opts.message, stderr: opts.stderr });
    (this as { code: string }).code = "python_timeout";
    (this as { details: Record<string, unknown> }).details = {
      ...this.details,
      method: opts.method,
      timeoutMs: opts.timeoutMs,
      pid: opts.pid,
    };
    this.name = "PythonTimeoutError";
    this.method = opts.method;
    this.timeoutMs = opts.timeoutMs;
    this.pid = opts.pid;
  }

  /** True for this error from any copy of `@lolpop/python-bridge`. */
  static override isInstance(error: unknown): error is PythonTimeoutError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
