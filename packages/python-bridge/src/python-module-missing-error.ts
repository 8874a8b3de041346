import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.PythonModuleMissingError");

/** One Python distribution that is missing or has the wrong version. */
export interface UnmetRequirement {
  /** Distribution name, e.g. `catboost`. */
  name: string;
  /** Required version specifier, e.g. `>=1.2,<2` (empty when any version will do). */
  required: string;
  /** Installed version, or null when it is not installed. */
  found: string | null;
}

/** Python modules the worker needs are missing or too old; `installCommand` fixes it. */
export class PythonModuleMissingError extends LolpopError {
  private readonly [MARKER] = true;
  /** What is missing or mismatched. */
  readonly unmet: UnmetRequirement[];
  /** The exact command that installs what is needed into the interpreter that was used. */
  readonly installCommand: string;
  /** The interpreter that lacks the modules. */
  readonly python: string;

  constructor(opts: {
    message: string;
    python: string;
    unmet: UnmetRequirement[];
    installCommand: string;
    cause?: unknown;
  }) {
    super({
      message: opts.message,
      code: "python_module_missing",
      details: { python: opts.python, unmet: opts.unmet, installCommand: opts.installCommand },
      cause: opts.cause,
    });
    this.name = "PythonModuleMissingError";
    this.unmet = opts.unmet;
    this.installCommand = opts.installCommand;
    this.python = opts.python;
  }

  /** True for this error from any copy of `@lolpop/python-bridge`. */
  static override isInstance(error: unknown): error is PythonModuleMissingError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
