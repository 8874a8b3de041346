/**
 * What every integration that runs a Python library through the bridge needs, in one place: its
 * pinned requirements read from the package's `python/requirements.txt`, one shared worker per
 * interpreter setting and project, and the `lolpop-<name>-setup` command that installs the pinned
 * versions into the project's venv.
 */
import { resolve } from "node:path";
import type { Logger } from "@lolpop/core";
import { PythonWorker } from "./python-worker.js";
import { type PythonRequirement, readRequirementsFile } from "./requirements.js";
import { type SetupPythonEnvOptions, type SetupPythonEnvResult, setupPythonEnv } from "./setup-venv.js";

/** Describes an integration's Python side (see {@link definePythonIntegration}). */
export interface PythonIntegrationSpec {
  /** Short name: the setup command is `lolpop-<name>-setup`. */
  name: string;
  /** The worker's name in logs and errors. Default: `name`. */
  workerName?: string;
  /** The package's pinned requirements file (`python/requirements.txt`). */
  requirementsFile: string;
  /** Versions accepted at run time by package name (the pinned ones are what the tests use). */
  accepted: Readonly<Record<string, string>>;
  /** The handler module loaded into the worker, as `{ name, path }`. */
  handler: { name: string; path: string };
  /** The setup command printed in install hints, e.g. `npx lolpop-catboost-setup`. */
  setupCommand: string;
  /** Lines of the setup command's `--help` after its usage line: what it installs and for what. */
  setupHelp: string;
}

/** Options of a worker of {@link PythonIntegration}. */
export interface PythonIntegrationWorkerOptions {
  /** The component's `python` setting (an interpreter or venv), if any. */
  python?: string | null;
  /** The config key named in errors about `python`. */
  pythonOptionName?: string;
  /** Project folder (where `.venv` is looked for). Default: `process.cwd()`. */
  projectRoot?: string;
  /** Receives the worker's stderr at debug level (the latest logger given wins). */
  logger?: Logger;
}

/** Options of {@link PythonIntegration.setup}. */
export type PythonIntegrationSetupOptions = Omit<SetupPythonEnvOptions, "requirements">;

/** An integration's Python side, made by {@link definePythonIntegration}. */
export interface PythonIntegration {
  /** The requirements the worker checks: accepted ranges, with the pinned versions as install lines. */
  requirements(): PythonRequirement[];
  /** The shared worker for an interpreter setting and project root (started on its first call). */
  worker(options: PythonIntegrationWorkerOptions): PythonWorker;
  /** Closes every shared worker (tests, or a host that wants Python gone now). */
  closeWorkers(): Promise<void>;
  /** Installs the pinned requirements into the project's venv (created when missing). */
  setup(options?: PythonIntegrationSetupOptions): SetupPythonEnvResult;
  /** The setup command line (`--project DIR`, `--venv DIR`, `--python EXE`); returns the exit code. */
  runSetupCli(argv: readonly string[]): number;
}

/** Builds an integration's {@link PythonIntegration} from its spec. */
export function definePythonIntegration(spec: PythonIntegrationSpec): PythonIntegration {
  let requirementsCache: PythonRequirement[] | undefined;
  const requirements = (): PythonRequirement[] => {
    if (!requirementsCache) {
      let pinned: PythonRequirement[] = [];
      try {
        pinned = readRequirementsFile(spec.requirementsFile);
      } catch {
        // a damaged install: fall back to the names only
      }
      requirementsCache = Object.entries(spec.accepted).map(([name, version]) => ({
        name,
        version,
        install: pinned.find((p) => p.name.toLowerCase() === name)?.install ?? name,
      }));
    }
    return requirementsCache;
  };

  const workers = new Map<string, { worker: PythonWorker; logger: { current?: Logger } }>();
  const worker = (options: PythonIntegrationWorkerOptions): PythonWorker => {
    const root = resolve(options.projectRoot ?? process.cwd());
    const key = `${options.python ?? ""}\u0000${root}`;
    let shared = workers.get(key);
    if (!shared) {
      const holder: { current?: Logger } = {};
      const w = new PythonWorker({
        name: spec.workerName ?? spec.name,
        python: options.python ?? undefined,
        pythonOptionName: options.pythonOptionName,
        projectRoot: root,
        modules: [spec.handler],
        requirements: requirements(),
        installHint: `Or run \`${spec.setupCommand}\` in the project folder: it creates .venv there with the pinned versions, and lolpop uses it.`,
        onStderr: (line) => holder.current?.debug(`${spec.workerName ?? spec.name}: ${line}`),
      });
      shared = { worker: w, logger: holder };
      workers.set(key, shared);
    }
    if (options.logger) shared.logger.current = options.logger;
    return shared.worker;
  };

  const closeWorkers = async (): Promise<void> => {
    const all = [...workers.values()];
    workers.clear();
    await Promise.all(all.map((s) => s.worker.close()));
  };

  const setup = (options: PythonIntegrationSetupOptions = {}): SetupPythonEnvResult =>
    setupPythonEnv({ ...options, requirements: [spec.requirementsFile] });

  const command = `lolpop-${spec.name}-setup`;
  const runSetupCli = (argv: readonly string[]): number => {
    const opts: PythonIntegrationSetupOptions = {};
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const value = () => {
        const v = argv[++i];
        if (v === undefined) throw new Error(`${a} needs a value`);
        return v;
      };
      if (a === "--help" || a === "-h") {
        process.stdout.write(
          `Usage: ${command} [--project DIR] [--venv DIR] [--python EXE]\n\n${spec.setupHelp}`,
        );
        return 0;
      }
      try {
        if (a === "--project") opts.projectRoot = value();
        else if (a === "--venv") opts.venv = value();
        else if (a === "--python") opts.bootstrapPython = value();
        else throw new Error(`unknown argument ${a}`);
      } catch (e) {
        process.stderr.write(`${command}: ${(e as Error).message} (see --help)\n`);
        return 2;
      }
    }
    try {
      setup(opts);
      return 0;
    } catch (e) {
      process.stderr.write(`${command}: ${(e as Error).message}\n`);
      return 1;
    }
  };

  return { requirements, worker, closeWorkers, setup, runSetupCli };
}
