import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeTempDirs as cleanTemp, tempDir, venvPythonForTests } from "../test/helpers.js";
import { findPython, PythonNotFoundError, PythonWorker, setupPythonEnv } from "./index.js";

afterAll(() => cleanTemp());

describe("setupPythonEnv", () => {
  it("creates the project's .venv, installs a requirements file, is idempotent, and the bridge finds it", async () => {
    const root = tempDir("lolpop-setup-");
    const req = join(root, "requirements.txt");
    writeFileSync(req, "# nothing to install: pip still runs against this file\n");
    const lines: string[] = [];
    const first = setupPythonEnv({
      projectRoot: root,
      requirements: [req],
      bootstrapPython: venvPythonForTests(),
      log: (l) => lines.push(l),
      quiet: true,
      env: { ...process.env, LOLPOP_VENV: "" },
    });
    expect(first.created).toBe(true);
    expect(first.venv).toBe(join(root, ".venv"));
    expect(existsSync(first.python)).toBe(true);
    expect(lines.join("\n")).toMatch(
      /-m venv .*\.venv[\s\S]*-m pip install --disable-pip-version-check -q -r /,
    );
    const second = setupPythonEnv({
      projectRoot: root,
      requirements: [req],
      log: () => {},
      quiet: true,
      env: {},
    });
    expect(second.created).toBe(false);
    expect(findPython({ projectRoot: root, env: {} })).toEqual({
      path: first.python,
      source: `.venv (${first.venv})`,
    });
    const w = new PythonWorker({ projectRoot: root, env: { PATH: process.env.PATH } });
    try {
      expect((await w.start()).python).toBe(first.python);
    } finally {
      await w.close();
    }
  }, 120_000);

  it("says what to do when there is no interpreter to create the venv, or a requirements file is missing", () => {
    const root = tempDir("lolpop-setup-");
    let err: unknown;
    try {
      setupPythonEnv({
        projectRoot: root,
        // A venv that does not exist yet (not LOLPOP_VENV's, which the test run may set).
        venv: join(root, ".venv"),
        requirements: [],
        bootstrapPython: "/no/such/python3",
        log: () => {},
        // Not the shared venv that LOLPOP_VENV may name: it exists, so nothing would be bootstrapped.
        env: { ...process.env, LOLPOP_VENV: "" },
      });
    } catch (e) {
      err = e;
    }
    expect(PythonNotFoundError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/\/no\/such\/python3 was not found: install Python 3\.9\+/);
    expect(() =>
      setupPythonEnv({
        projectRoot: root,
        requirements: [join(root, "nope.txt")],
        log: () => {},
        env: { ...process.env, LOLPOP_VENV: "" },
      }),
    ).toThrow(/requirements file .*nope\.txt does not exist/);
  });
});
