/**
 * Creating or updating a project's Python virtual environment from pinned requirements files, for
 * the setup commands of integrations (e.g. `npx lolpop-catboost-setup`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { SubprocessError } from "@lolpop/core";
import { venvPython, whichSync } from "./find-python.js";
import { PythonNotFoundError } from "./python-not-found-error.js";
import { shellQuote } from "./requirements.js";

/** Options of {@link setupPythonEnv}. */
export interface SetupPythonEnvOptions {
  /** Requirements files to install (`pip install -r` each). */
  requirements: readonly string[];
  /** Project root; the venv is `<projectRoot>/.venv` unless `venv` is given. Default: `process.cwd()`. */
  projectRoot?: string;
  /** The venv folder. Default: `LOLPOP_VENV`, else `<projectRoot>/.venv`. */
  venv?: string;
  /** Interpreter that creates the venv when it does not exist. Default: `LOLPOP_PYTHON_BOOTSTRAP`, else `python3` (`python` on Windows). */
  bootstrapPython?: string;
  /** Where progress lines go. Default: stderr. */
  log?: (line: string) => void;
  /** Passes `-q` to pip. Default false. */
  quiet?: boolean;
  /** Environment. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** What {@link setupPythonEnv} made. */
export interface SetupPythonEnvResult {
  venv: string;
  /** The venv's interpreter; the bridge finds it as the project's `.venv`. */
  python: string;
  /** True when the venv was created (not only updated). */
  created: boolean;
}

/**
 * Creates the venv when it is missing (`<bootstrap> -m venv <venv>`), then installs the pinned
 * requirements into it (`<venv python> -m pip install -r <file>...`). Idempotent: pip skips what
 * is already installed at the pinned version.
 * @throws PythonNotFoundError when no bootstrap interpreter exists; SubprocessError when venv or pip fails.
 */
export function setupPythonEnv(options: SetupPythonEnvOptions): SetupPythonEnvResult {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const root = resolve(options.projectRoot ?? process.cwd());
  const venv = resolve(root, options.venv ?? (env.LOLPOP_VENV || ".venv"));
  const python = venvPython(venv);
  for (const f of options.requirements)
    if (!existsSync(f))
      throw new SubprocessError({
        command: "pip install",
        message: `requirements file ${f} does not exist; reinstall the package that ships it`,
      });
  const run = (cmd: string, args: string[]) => {
    log(`$ ${[cmd, ...args].map(shellQuote).join(" ")}`);
    const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      if (code === "ENOENT")
        throw new PythonNotFoundError({
          message: `${cmd} was not found: install Python 3.9+ (with venv and pip), or set LOLPOP_PYTHON_BOOTSTRAP to an interpreter that creates the venv`,
          tried: [{ candidate: cmd, source: "bootstrap", problem: "does not exist" }],
          cause: r.error,
        });
      throw new SubprocessError({
        command: cmd,
        message: `${cmd} failed: ${r.error.message}`,
        cause: r.error,
      });
    }
    if (r.status !== 0)
      throw new SubprocessError({
        command: [cmd, ...args].join(" "),
        message: `${[cmd, ...args].map(shellQuote).join(" ")} exited with ${r.status ?? r.signal}; see its output above`,
        exitCode: r.status,
        signal: r.signal,
      });
  };
  let created = false;
  if (!existsSync(python)) {
    const fallback = process.platform === "win32" ? "python" : "python3";
    const boot =
      options.bootstrapPython ?? env.LOLPOP_PYTHON_BOOTSTRAP ?? whichSync(fallback, env) ?? fallback;
    run(boot, ["-m", "venv", venv]);
    created = true;
  }
  if (options.requirements.length)
    run(python, [
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      ...(options.quiet ? ["-q"] : []),
      ...options.requirements.flatMap((f) => ["-r", f]),
    ]);
  log(`python environment ready: ${venv}`);
  return { venv, python, created };
}
