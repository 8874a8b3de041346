import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeTempDirs as cleanTemp, tempDir } from "../test/helpers.js";
import { findPython, PythonNotFoundError } from "./index.js";

afterAll(() => cleanTemp());

function fakeExe(path: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\nexit 0\n");
  chmodSync(path, 0o755);
  return path;
}

describe("findPython", () => {
  const root = tempDir("lolpop-findpy-");
  const project = join(root, "app", "sub");
  mkdirSync(project, { recursive: true });
  const binDir = join(root, "bin");
  const pathPython = fakeExe(join(binDir, "python3"));
  const envPython = fakeExe(join(root, "env-python"));
  const emptyEnv = { PATH: "" };

  it("uses the python option first, relative to the project root", () => {
    const p = fakeExe(join(project, "tools", "py"));
    expect(
      findPython({ python: "tools/py", projectRoot: project, env: { LOLPOP_PYTHON: envPython } }),
    ).toEqual({
      path: p,
      source: "the python option",
    });
  });

  it("fails on an explicit interpreter that does not exist, naming where it came from", () => {
    expect(() =>
      findPython({
        python: "/no/such/python",
        optionName: "train.model_trainer.config.python",
        env: emptyEnv,
      }),
    ).toThrow(/"\/no\/such\/python" from train\.model_trainer\.config\.python does not exist/);
    let err: unknown;
    try {
      findPython({ env: { LOLPOP_PYTHON: "/nope/python3", PATH: binDir } });
    } catch (e) {
      err = e;
    }
    expect(PythonNotFoundError.isInstance(err)).toBe(true);
    expect((err as PythonNotFoundError).code).toBe("python_not_found");
    expect((err as Error).message).toMatch(/LOLPOP_PYTHON does not exist/);
  });

  it("then LOLPOP_PYTHON, LOLPOP_VENV, the nearest .venv, and the PATH", () => {
    expect(findPython({ projectRoot: project, env: { LOLPOP_PYTHON: envPython, PATH: binDir } }).source).toBe(
      "LOLPOP_PYTHON",
    );
    const venvPy = fakeExe(join(root, "custom-venv", "bin", "python"));
    expect(findPython({ projectRoot: project, env: { LOLPOP_VENV: join(root, "custom-venv") } }).path).toBe(
      venvPy,
    );
    expect(findPython({ projectRoot: project, env: { PATH: binDir } }).path).toBe(pathPython);
    const parentVenv = fakeExe(join(root, "app", ".venv", "bin", "python"));
    expect(findPython({ projectRoot: project, env: { PATH: binDir } }).path).toBe(parentVenv);
    const ownVenv = fakeExe(join(project, ".venv", "bin", "python"));
    expect(findPython({ projectRoot: project, env: { PATH: binDir } })).toEqual({
      path: ownVenv,
      source: `.venv (${join(project, ".venv")})`,
    });
  });

  it("lists everything it tried when nothing is found", () => {
    const lonely = tempDir("lolpop-findpy-none-");
    expect(() => findPython({ projectRoot: lonely, env: emptyEnv })).toThrow(
      /No Python interpreter found\. Tried: .*\.venv.*python3 \(PATH: is not on the PATH\).*Install Python 3\.9/,
    );
  });
});
