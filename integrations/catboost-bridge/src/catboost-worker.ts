/**
 * The Python side of CatBoostModelTrainer: one shared @lolpop/python-bridge worker per interpreter
 * choice and project, with `python/lolpop_catboost.py` loaded and catboost / numpy checked.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@lolpop/core";
import { definePythonIntegration, type PythonRequirement, type PythonWorker } from "@lolpop/python-bridge";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The pinned requirements file shipped in this package (`python/requirements.txt`). */
export const CATBOOST_REQUIREMENTS_FILE = join(packageDir, "python", "requirements.txt");
/** The CatBoost handler module loaded into the worker. */
export const CATBOOST_HANDLER_FILE = join(packageDir, "python", "lolpop_catboost.py");
/** The setup command printed in install hints. */
export const SETUP_COMMAND = "npx lolpop-catboost-setup";

/** CatBoost's Python side: requirements, shared workers and the setup command. */
export const catboostPython = definePythonIntegration({
  name: "catboost",
  requirementsFile: CATBOOST_REQUIREMENTS_FILE,
  // Versions accepted at run time (the pinned ones are what the tests use).
  accepted: { catboost: ">=1.2,<2", numpy: ">=1.16" },
  handler: { name: "catboost", path: CATBOOST_HANDLER_FILE },
  setupCommand: SETUP_COMMAND,
  setupHelp:
    "Creates DIR/.venv (default: the current folder) when missing and installs the Python packages\n" +
    "CatBoostModelTrainer needs, at the versions this @lolpop/catboost-bridge was tested with.\n" +
    "lolpop finds the project's .venv by itself (or set LOLPOP_PYTHON / the trainer's python key).\n",
});

/** What the worker checks: catboost and numpy, with the pinned versions as the install line. */
export function catboostRequirements(): PythonRequirement[] {
  return catboostPython.requirements();
}

/**
 * The shared worker for an interpreter setting and project root (started on its first call).
 * Its stderr (CatBoost's training log with `verbose`) goes to `logger` at debug level.
 */
export function catboostWorker(options: {
  python?: string | null;
  pythonOptionName?: string;
  projectRoot: string;
  logger?: Logger;
}): PythonWorker {
  return catboostPython.worker(options);
}

/** Closes every shared worker (tests, or a host that wants Python gone now). */
export async function closeCatBoostWorkers(): Promise<void> {
  await catboostPython.closeWorkers();
}
