/**
 * The Python side of CatBoostModelTrainer: one shared @lolpop/python-bridge worker per interpreter
 * choice and project, with `python/lolpop_catboost.py` loaded and catboost / numpy checked.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@lolpop/core";
import { type PythonRequirement, PythonWorker, readRequirementsFile } from "@lolpop/python-bridge";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The pinned requirements file shipped in this package (`python/requirements.txt`). */
export const CATBOOST_REQUIREMENTS_FILE = join(packageDir, "python", "requirements.txt");
/** The CatBoost handler module loaded into the worker. */
export const CATBOOST_HANDLER_FILE = join(packageDir, "python", "lolpop_catboost.py");
/** The setup command printed in install hints. */
export const SETUP_COMMAND = "npx lolpop-catboost-setup";

/** Versions accepted at run time (the pinned ones are what the tests use). */
const ACCEPTED: Record<string, string> = { catboost: ">=1.2,<2", numpy: ">=1.16" };

let requirementsCache: PythonRequirement[] | undefined;

/** What the worker checks: catboost and numpy, with the pinned versions as the install line. */
export function catboostRequirements(): PythonRequirement[] {
  if (!requirementsCache) {
    let pinned: PythonRequirement[] = [];
    try {
      pinned = readRequirementsFile(CATBOOST_REQUIREMENTS_FILE);
    } catch {
      // a damaged install: fall back to the names only
    }
    requirementsCache = Object.entries(ACCEPTED).map(([name, version]) => ({
      name,
      version,
      install: pinned.find((p) => p.name.toLowerCase() === name)?.install ?? name,
    }));
  }
  return requirementsCache;
}

interface Shared {
  worker: PythonWorker;
  logger: { current?: Logger };
}

const workers = new Map<string, Shared>();

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
  const root = resolve(options.projectRoot);
  const key = `${options.python ?? ""}\u0000${root}`;
  let shared = workers.get(key);
  if (!shared) {
    const holder: { current?: Logger } = {};
    const worker = new PythonWorker({
      name: "catboost",
      python: options.python ?? undefined,
      pythonOptionName: options.pythonOptionName,
      projectRoot: root,
      modules: [{ name: "catboost", path: CATBOOST_HANDLER_FILE }],
      requirements: catboostRequirements(),
      installHint: `Or run \`${SETUP_COMMAND}\` in the project folder: it creates .venv there with the pinned versions, and lolpop uses it.`,
      onStderr: (line) => holder.current?.debug(`catboost: ${line}`),
    });
    shared = { worker, logger: holder };
    workers.set(key, shared);
  }
  if (options.logger) shared.logger.current = options.logger;
  return shared.worker;
}

/** Closes every shared worker (tests, or a host that wants Python gone now). */
export async function closeCatBoostWorkers(): Promise<void> {
  const all = [...workers.values()];
  workers.clear();
  await Promise.all(all.map((s) => s.worker.close()));
}
