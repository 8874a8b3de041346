/**
 * `lolpop-forecast-setup`: creates or updates the project's `.venv` with this package's pinned
 * Python requirements (prophet and its dependencies), for the Prophet forecaster. The native
 * forecasters need no Python. Also usable from code as {@link setupForecastPython}.
 */
import { type SetupPythonEnvResult, setupPythonEnv } from "@lolpop/python-bridge";
import { FORECAST_REQUIREMENTS_FILE } from "./forecast-prophet-worker.js";

/** Options of {@link setupForecastPython}. */
export interface SetupForecastPythonOptions {
  /** Project folder; the venv is `<projectRoot>/.venv`. Default: `process.cwd()`. */
  projectRoot?: string;
  /** Venv folder instead of `<projectRoot>/.venv` (default: `LOLPOP_VENV` when set). */
  venv?: string;
  /** Interpreter that creates the venv. Default: `LOLPOP_PYTHON_BOOTSTRAP`, else `python3`. */
  bootstrapPython?: string;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
}

/** Installs prophet (with numpy and pandas) at the pinned versions into the project's venv (created when missing). */
export function setupForecastPython(options: SetupForecastPythonOptions = {}): SetupPythonEnvResult {
  return setupPythonEnv({ ...options, requirements: [FORECAST_REQUIREMENTS_FILE] });
}

/** The command line: `lolpop-forecast-setup [--project DIR] [--venv DIR] [--python EXE]`. Returns the exit code. */
export function runSetupCli(argv: readonly string[]): number {
  const opts: SetupForecastPythonOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--help" || a === "-h") {
      process.stdout.write(
        "Usage: lolpop-forecast-setup [--project DIR] [--venv DIR] [--python EXE]\n\n" +
          "Creates DIR/.venv (default: the current folder) when missing and installs the Python packages\n" +
          "the Prophet forecaster needs, at the versions this @lolpop/forecast was tested with.\n" +
          "lolpop finds the project's .venv by itself (or set LOLPOP_PYTHON / the forecaster's python option).\n" +
          "The seasonal naive, ETS and ML forecasters need no Python.\n",
      );
      return 0;
    }
    try {
      if (a === "--project") opts.projectRoot = value();
      else if (a === "--venv") opts.venv = value();
      else if (a === "--python") opts.bootstrapPython = value();
      else throw new Error(`unknown argument ${a}`);
    } catch (e) {
      process.stderr.write(`lolpop-forecast-setup: ${(e as Error).message} (see --help)\n`);
      return 2;
    }
  }
  try {
    setupForecastPython(opts);
    return 0;
  } catch (e) {
    process.stderr.write(`lolpop-forecast-setup: ${(e as Error).message}\n`);
    return 1;
  }
}
