import { SubprocessError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.PythonCallError");

/** A Python exception raised by a worker method. The message carries the traceback and the worker's recent stderr. */
export class PythonCallError extends SubprocessError {
  private readonly [MARKER] = true;
  /** The method called, e.g. `catboost.fit`. */
  readonly method: string;
  /** The Python exception's class name, e.g. `CatBoostError` (undefined for protocol-level errors). */
  readonly pythonType?: string;
  /** The Python exception's message. */
  readonly pythonMessage: string;
  /** The formatted Python traceback. */
  readonly traceback?: string;
  /** JSON-RPC error code (-32000 for a Python exception, -32601 for an unknown method). */
  readonly rpcCode: number;

  constructor(opts: {
    command: string;
    message: string;
    method: string;
    pythonType?: string;
    pythonMessage: string;
    traceback?: string;
    rpcCode: number;
    stderr?: string;
  }) {
    super({ command: opts.command, message: opts.message, stderr: opts.stderr });
    (this as { code: string }).code = "python_call_failed";
    (this as { details: Record<string, unknown> }).details = {
      ...this.details,
      method: opts.method,
      pythonType: opts.pythonType,
      rpcCode: opts.rpcCode,
    };
    this.name = "PythonCallError";
    this.method = opts.method;
    this.pythonType = opts.pythonType;
    this.pythonMessage = opts.pythonMessage;
    this.traceback = opts.traceback;
    this.rpcCode = opts.rpcCode;
  }

  /** True for this error from any copy of `@lolpop/python-bridge`. */
  static override isInstance(error: unknown): error is PythonCallError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
