/**
 * Finding the Python interpreter: the `python` option, `LOLPOP_PYTHON`, the project's virtual
 * environment (`LOLPOP_VENV`, then `.venv` in the project root or a parent folder), then `python3`
 * and `python` on the `PATH`.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { PythonNotFoundError } from "./python-not-found-error.js";

/** Options of {@link findPython}. */
export interface FindPythonOptions {
  /**
   * An interpreter to use: a path (absolute, or relative to `projectRoot`) or a command name looked
   * up on the `PATH`. When given it must work; there is no fallback.
   */
  python?: string;
  /** How to name the `python` option in messages (default `python`), e.g. a YAML path. */
  optionName?: string;
  /** The project root: where `.venv` is looked for first (then its parent folders). Default: `process.cwd()`. */
  projectRoot?: string;
  /** Environment to read `LOLPOP_PYTHON`, `LOLPOP_VENV` and `PATH` from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** An interpreter and where it came from. */
export interface PythonLocation {
  /** Absolute path of the interpreter. */
  path: string;
  /** Where it was found, for messages and logs, e.g. `LOLPOP_PYTHON` or `.venv (/work/app/.venv)`. */
  source: string;
}

const IS_WINDOWS = process.platform === "win32";

/** The interpreter inside a virtual environment folder. */
export function venvPython(venv: string): string {
  return IS_WINDOWS ? join(venv, "Scripts", "python.exe") : join(venv, "bin", "python");
}

function executableProblem(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return "is not a file";
    if (!IS_WINDOWS) accessSync(path, constants.X_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not executable" : String(code);
  }
}

/** Looks a command up on the PATH; returns its absolute path or undefined. */
export function whichSync(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? "").split(delimiter).filter(Boolean);
  const exts = IS_WINDOWS ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = join(dir, command + ext);
      if (!executableProblem(p)) return p;
    }
  }
  return undefined;
}

function isCommandName(value: string): boolean {
  return !value.includes("/") && !value.includes("\\");
}

const SETUP_HINT =
  "Install Python 3.9 or newer, then create the project's virtual environment (`python3 -m venv .venv` in the project folder, or the setup command of the integration you use), or point LOLPOP_PYTHON at an interpreter.";

/**
 * Finds the Python interpreter to run, in this order: `options.python`, `LOLPOP_PYTHON`,
 * `LOLPOP_VENV`, `.venv` in the project root or one of its parents (nearest first), `python3` and
 * `python` on the `PATH`. An explicit `python` option or `LOLPOP_PYTHON` that does not point at an
 * executable is an error (no silent fallback). Nothing is started: the version is checked by the worker.
 * @throws PythonNotFoundError listing every candidate tried and why it was rejected.
 */
export function findPython(options: FindPythonOptions = {}): PythonLocation {
  const env = options.env ?? process.env;
  const root = resolve(options.projectRoot ?? process.cwd());
  const tried: Array<{ candidate: string; source: string; problem: string }> = [];

  const explicit = (value: string, source: string): PythonLocation => {
    if (isCommandName(value)) {
      const found = whichSync(value, env);
      if (found) return { path: found, source };
      tried.push({ candidate: value, source, problem: "is not on the PATH" });
    } else {
      const path = isAbsolute(value) ? value : resolve(root, value);
      const problem = executableProblem(path);
      if (!problem) return { path, source };
      tried.push({ candidate: path, source, problem });
    }
    const t = tried[tried.length - 1]!;
    throw new PythonNotFoundError({
      message: `Python interpreter ${JSON.stringify(t.candidate)} from ${source} ${t.problem}. Fix ${source} (a path to a Python 3.9+ executable, e.g. .venv/bin/python) or remove it to let lolpop find one.`,
      tried,
    });
  };

  if (options.python) return explicit(options.python, options.optionName ?? "the python option");
  if (env.LOLPOP_PYTHON) return explicit(env.LOLPOP_PYTHON, "LOLPOP_PYTHON");

  if (env.LOLPOP_VENV) {
    const p = venvPython(resolve(root, env.LOLPOP_VENV));
    const problem = executableProblem(p);
    if (!problem) return { path: p, source: `LOLPOP_VENV (${dirname(dirname(p))})` };
    tried.push({ candidate: p, source: "LOLPOP_VENV", problem });
  }

  for (let dir = root; ; dir = dirname(dir)) {
    const venv = join(dir, ".venv");
    const p = venvPython(venv);
    const problem = executableProblem(p);
    if (!problem) return { path: p, source: `.venv (${venv})` };
    if (dir === root) tried.push({ candidate: p, source: "the project's .venv", problem });
    if (dirname(dir) === dir) break;
  }

  for (const name of IS_WINDOWS ? ["python", "py"] : ["python3", "python"]) {
    const p = whichSync(name, env);
    if (p) return { path: p, source: `PATH (${name})` };
    tried.push({ candidate: name, source: "PATH", problem: "is not on the PATH" });
  }

  throw new PythonNotFoundError({
    message: `No Python interpreter found. Tried: ${tried.map((t) => `${t.candidate} (${t.source}: ${t.problem})`).join("; ")}. ${SETUP_HINT}`,
    tried,
  });
}
