/**
 * `lolpop-forecast-setup`: creates or updates the project's `.venv` with this package's pinned
 * Python requirements (prophet and its dependencies), for the Prophet forecaster. The native
 * forecasters need no Python. Also usable from code as {@link setupForecastPython}.
 */
import type { PythonIntegrationSetupOptions, SetupPythonEnvResult } from "@lolpop/python-bridge";
import { forecastPython } from "./forecast-prophet-worker.js";

/** Options of {@link setupForecastPython}: `projectRoot`, `venv`, `bootstrapPython`, `log`. */
export type SetupForecastPythonOptions = PythonIntegrationSetupOptions;

/** Installs prophet (with numpy and pandas) at the pinned versions into the project's venv (created when missing). */
export function setupForecastPython(options: SetupForecastPythonOptions = {}): SetupPythonEnvResult {
  return forecastPython.setup(options);
}

/** The command line: `lolpop-forecast-setup [--project DIR] [--venv DIR] [--python EXE]`. Returns the exit code. */
export function runSetupCli(argv: readonly string[]): number {
  return forecastPython.runSetupCli(argv);
}
