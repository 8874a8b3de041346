/**
 * The Python side of the Prophet forecaster: one shared @lolpop/python-bridge worker per
 * interpreter choice and project, with `python/lolpop_forecast.py` loaded and prophet checked.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@lolpop/core";
import { type PythonRequirement, PythonWorker, readRequirementsFile } from "@lolpop/python-bridge";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The pinned requirements file shipped in this package (`python/requirements.txt`). */
export const FORECAST_REQUIREMENTS_FILE = join(packageDir, "python", "requirements.txt");
/** The handler module loaded into the worker (methods `forecast.fit`, `forecast.predict`, `forecast.version`). */
export const FORECAST_HANDLER_FILE = join(packageDir, "python", "lolpop_forecast.py");
/** The setup command printed in install hints. */
export const FORECAST_SETUP_COMMAND = "npx lolpop-forecast-setup";

/** Versions accepted at run time (the pinned ones are what the tests use). */
const ACCEPTED: Record<string, string> = { prophet: ">=1.1,<2", numpy: ">=1.21", pandas: ">=1.3" };

let requirementsCache: PythonRequirement[] | undefined;

/** What the worker checks: prophet, numpy and pandas, with the pinned versions as the install line. */
export function prophetRequirements(): PythonRequirement[] {
  if (!requirementsCache) {
    let pinned: PythonRequirement[] = [];
    try {
      pinned = readRequirementsFile(FORECAST_REQUIREMENTS_FILE);
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
 * The shared worker for an interpreter setting and project root (started on its first call). Its
 * stderr (Stan's and Prophet's messages) goes to `logger` at debug level.
 */
export function prophetWorker(options: {
  python?: string | null;
  pythonOptionName?: string;
  projectRoot?: string;
  logger?: Logger;
}): PythonWorker {
  const root = resolve(options.projectRoot ?? process.cwd());
  const key = `${options.python ?? ""}\u0000${root}`;
  let shared = workers.get(key);
  if (!shared) {
    const holder: { current?: Logger } = {};
    const worker = new PythonWorker({
      name: "prophet",
      python: options.python ?? undefined,
      pythonOptionName: options.pythonOptionName,
      projectRoot: root,
      modules: [{ name: "forecast", path: FORECAST_HANDLER_FILE }],
      requirements: prophetRequirements(),
      installHint: `Or run \`${FORECAST_SETUP_COMMAND}\` in the project folder: it creates .venv there with the pinned versions, and lolpop uses it.`,
      onStderr: (line) => holder.current?.debug(`prophet: ${line}`),
    });
    shared = { worker, logger: holder };
    workers.set(key, shared);
  }
  if (options.logger) shared.logger.current = options.logger;
  return shared.worker;
}

/** Closes every shared Prophet worker (tests, or a host that wants Python gone now). */
export async function closeProphetWorkers(): Promise<void> {
  const all = [...workers.values()];
  workers.clear();
  await Promise.all(all.map((s) => s.worker.close()));
}
