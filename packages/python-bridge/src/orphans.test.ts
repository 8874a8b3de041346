// No python process may outlive its Node parent, however the parent ends. Each case runs a real
// Node parent (test/fixtures/parent.mjs, using the built dist) that owns a worker, and checks the
// worker's pid afterwards. A worker whose parent was SIGKILLed is re-parented to init, which may
// not reap it at once: an exited (zombie) process counts as gone.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  commandLine,
  fixtures,
  packageDir,
  processState,
  venvPythonForTests,
  waitNotRunning,
} from "../test/helpers.js";

/** Per-test timeout: jest's testTimeout is not applied per project when the root config runs every package. */
const TIMEOUT = 120_000;

const python = venvPythonForTests();
const parentScript = join(fixtures, "parent.mjs");

function startParent(
  mode: string,
): Promise<{ child: ChildProcess; worker: number; exited: Promise<number | null> }> {
  if (!existsSync(join(packageDir, "dist", "index.js")))
    throw new Error("build @lolpop/python-bridge first (pnpm build): the parent fixture imports dist/");
  const child = spawn(process.execPath, [parentScript, mode, python], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`parent did not report its worker: ${stderr}`)), 30_000);
    child.stdout!.on("data", (d) => {
      out += String(d);
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        clearTimeout(timer);
        resolve({ child, worker: (JSON.parse(line) as { worker: number }).worker, exited });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!out.includes("\n")) reject(new Error(`parent exited (${code}) before reporting: ${stderr}`));
    });
  });
}

describe("no orphan python process", () => {
  it.each([
    ["the parent's event loop ends with an idle worker", "idle", undefined, 0],
    ["the parent calls process.exit during a call", "exit", undefined, 3],
    ["the parent throws an uncaught exception during a call", "throw", undefined, 1],
    ["the parent gets SIGINT during a call", "busy", "SIGINT", null],
    ["the parent gets SIGTERM during a call", "busy", "SIGTERM", null],
    ["the parent is SIGKILLed during a call", "busy", "SIGKILL", null],
  ] as const)(
    "when %s",
    async (_label, mode, signal, expectedCode) => {
      const { child, worker, exited } = await startParent(mode);
      expect(processState(worker)).toBe("running");
      expect(commandLine(worker)).toContain("lolpop_worker.py");
      if (signal) {
        await new Promise((r) => setTimeout(r, 300));
        child.kill(signal);
      }
      const code = await exited;
      if (expectedCode !== null) expect(code).toBe(expectedCode);
      expect(await waitNotRunning(worker, 10_000)).toBe(true);
    },
    TIMEOUT,
  );
});
