import { SubprocessError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.PythonWorkerError");

/**
 * The Python worker process died, could not start, or broke the protocol. `stderr` holds its last
 * output; `exitCode` / `signal` say how it ended. The next call starts a new worker.
 */
export class PythonWorkerError extends SubprocessError {
  private readonly [MARKER] = true;
  /** Pid of the worker, when it had started. */
  readonly pid?: number;
  /** Signal that ended the worker (e.g. `SIGKILL`), if any. */
  readonly signal?: string | null;

  constructor(opts: {
    command: string;
    message: string;
    pid?: number;
    exitCode?: number | null;
    signal?: string | null;
    stderr?: string;
    cause?: unknown;
  }) {
    super(opts);
    (this as { code: string }).code = "python_worker_failed";
    this.name = "PythonWorkerError";
    this.pid = opts.pid;
    this.signal = opts.signal;
  }

  /** True for this error from any copy of `@lolpop/python-bridge`. */
  static override isInstance(error: unknown): error is PythonWorkerError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
