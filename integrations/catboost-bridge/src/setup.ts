/**
 * `lolpop-catboost-setup`: creates or updates the project's `.venv` with this package's pinned
 * Python requirements (catboost, numpy). Also usable from code as {@link setupCatBoostPython}.
 */
import type { PythonIntegrationSetupOptions, SetupPythonEnvResult } from "@lolpop/python-bridge";
import { catboostPython } from "./catboost-worker.js";

/** Options of {@link setupCatBoostPython}: `projectRoot`, `venv`, `bootstrapPython`, `log`. */
export type SetupCatBoostPythonOptions = PythonIntegrationSetupOptions;

/** Installs catboost and numpy at the pinned versions into the project's venv (created when missing). */
export function setupCatBoostPython(options: SetupCatBoostPythonOptions = {}): SetupPythonEnvResult {
  return catboostPython.setup(options);
}

/** The command line: `lolpop-catboost-setup [--project DIR] [--venv DIR] [--python EXE]`. Returns the exit code. */
export function runSetupCli(argv: readonly string[]): number {
  return catboostPython.runSetupCli(argv);
}
