/**
 * `lolpop-catboost-setup`: creates or updates the project's `.venv` with this package's pinned
 * Python requirements (catboost, numpy). Also usable from code as {@link setupCatBoostPython}.
 */
import { type SetupPythonEnvResult, setupPythonEnv } from "@lolpop/python-bridge";
import { CATBOOST_REQUIREMENTS_FILE } from "./catboost-worker.js";

/** Options of {@link setupCatBoostPython}. */
export interface SetupCatBoostPythonOptions {
  /** Project folder; the venv is `<projectRoot>/.venv`. Default: `process.cwd()`. */
  projectRoot?: string;
  /** Venv folder instead of `<projectRoot>/.venv` (default: `LOLPOP_VENV` when set). */
  venv?: string;
  /** Interpreter that creates the venv. Default: `LOLPOP_PYTHON_BOOTSTRAP`, else `python3`. */
  bootstrapPython?: string;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
}

/** Installs catboost and numpy at the pinned versions into the project's venv (created when missing). */
export function setupCatBoostPython(options: SetupCatBoostPythonOptions = {}): SetupPythonEnvResult {
  return setupPythonEnv({ ...options, requirements: [CATBOOST_REQUIREMENTS_FILE] });
}

/** The command line: `lolpop-catboost-setup [--project DIR] [--venv DIR] [--python EXE]`. Returns the exit code. */
export function runSetupCli(argv: readonly string[]): number {
  const opts: SetupCatBoostPythonOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--help" || a === "-h") {
      process.stdout.write(
        "Usage: lolpop-catboost-setup [--project DIR] [--venv DIR] [--python EXE]\n\n" +
          "Creates DIR/.venv (default: the current folder) when missing and installs the Python packages\n" +
          "CatBoostModelTrainer needs, at the versions this @lolpop/catboost-bridge was tested with.\n" +
          "lolpop finds the project's .venv by itself (or set LOLPOP_PYTHON / the trainer's python key).\n",
      );
      return 0;
    }
    try {
      if (a === "--project") opts.projectRoot = value();
      else if (a === "--venv") opts.venv = value();
      else if (a === "--python") opts.bootstrapPython = value();
      else throw new Error(`unknown argument ${a}`);
    } catch (e) {
      process.stderr.write(`lolpop-catboost-setup: ${(e as Error).message} (see --help)\n`);
      return 2;
    }
  }
  try {
    setupCatBoostPython(opts);
    return 0;
  } catch (e) {
    process.stderr.write(`lolpop-catboost-setup: ${(e as Error).message}\n`);
    return 1;
  }
}
