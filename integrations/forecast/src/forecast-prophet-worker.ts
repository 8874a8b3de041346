/**
 * The Python side of the Prophet forecaster: one shared @lolpop/python-bridge worker per
 * interpreter choice and project, with `python/lolpop_forecast.py` loaded and prophet checked.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@lolpop/core";
import { definePythonIntegration, type PythonRequirement, type PythonWorker } from "@lolpop/python-bridge";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The pinned requirements file shipped in this package (`python/requirements.txt`). */
export const FORECAST_REQUIREMENTS_FILE = join(packageDir, "python", "requirements.txt");
/** The handler module loaded into the worker (methods `forecast.fit`, `forecast.predict`, `forecast.version`). */
export const FORECAST_HANDLER_FILE = join(packageDir, "python", "lolpop_forecast.py");
/** The setup command printed in install hints. */
export const FORECAST_SETUP_COMMAND = "npx lolpop-forecast-setup";

/** Prophet's Python side: requirements, shared workers and the setup command. */
export const forecastPython = definePythonIntegration({
  name: "forecast",
  workerName: "prophet",
  requirementsFile: FORECAST_REQUIREMENTS_FILE,
  // Versions accepted at run time (the pinned ones are what the tests use).
  accepted: { prophet: ">=1.1,<2", numpy: ">=1.21", pandas: ">=1.3" },
  handler: { name: "forecast", path: FORECAST_HANDLER_FILE },
  setupCommand: FORECAST_SETUP_COMMAND,
  setupHelp:
    "Creates DIR/.venv (default: the current folder) when missing and installs the Python packages\n" +
    "the Prophet forecaster needs, at the versions this @lolpop/forecast was tested with.\n" +
    "lolpop finds the project's .venv by itself (or set LOLPOP_PYTHON / the forecaster's python option).\n" +
    "The seasonal naive, ETS and ML forecasters need no Python.\n",
});

/** What the worker checks: prophet, numpy and pandas, with the pinned versions as the install line. */
export function prophetRequirements(): PythonRequirement[] {
  return forecastPython.requirements();
}

/**
 * The shared worker for an interpreter setting and project root (started on its first call). Its
 * stderr (Stan's and Prophet's messages) goes to `logger` at debug level.
 */
export function prophetWorker(options: {
  python?: string | null;
  pythonOptionName?: string;
  projectRoot?: string;
  logger?: Logger;
}): PythonWorker {
  return forecastPython.worker(options);
}

/** Closes every shared Prophet worker (tests, or a host that wants Python gone now). */
export async function closeProphetWorkers(): Promise<void> {
  await forecastPython.closeWorkers();
}
