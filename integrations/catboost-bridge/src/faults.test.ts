// Faults: Python missing, catboost missing, the worker killed mid-training, training past its
// timeout, cancellation, and the parent process killed. Afterwards no python process may be left
// (checked by pid; a process re-parented to init after its parent's SIGKILL may stay a zombie until
// init reaps it, which counts as gone).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CancelledError } from "@lolpop/core";
import {
  PythonModuleMissingError,
  PythonNotFoundError,
  PythonTimeoutError,
  PythonWorkerError,
} from "@lolpop/python-bridge";
import {
  removeTempDirs as cleanTemp,
  makeTrainer,
  packageDir,
  repoRoot,
  synthetic,
  tempDir,
  venvPythonForTests,
} from "../test/helpers.js";
import { catboostWorker, closeCatBoostWorkers } from "./index.js";

afterAll(() => cleanTemp());

/** Per-test timeout: jest's testTimeout is not applied per project when the root config runs every package. */
const TIMEOUT = 120_000;

const python = venvPythonForTests();
const small = synthetic(300, 3, 1);
const big = synthetic(20_000, 10, 2);

afterAll(async () => {
  await closeCatBoostWorkers();
});

function state(pid: number): "running" | "zombie" | "gone" {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const s = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return s === "Z" || s === "X" ? "zombie" : "running";
  } catch {
    return "gone";
  }
}

async function gone(pid: number, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && state(pid) === "running") await new Promise((r) => setTimeout(r, 50));
  return state(pid) !== "running";
}

/** Pids of running processes whose command line contains `text`. */
function runningWith(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(text) && state(Number(name)) === "running")
        out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const sharedWorker = () => catboostWorker({ python, projectRoot: repoRoot });

async function workerPidWhenBusy(): Promise<number> {
  const w = sharedWorker();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const end = Date.now() + 30_000;
  // Started (catboost imported, handlers loaded), running the fit, and still the same live worker a
  // moment later: right after a test stopped a worker, its exit may not be reported yet, and the
  // fit then moves to a new worker.
  while (Date.now() < end) {
    const pid = w.busy ? w.info?.pid : undefined;
    if (pid === undefined) {
      await sleep(20);
      continue;
    }
    await sleep(700); // let training get going
    if (w.busy && w.info?.pid === pid && alive(pid)) return pid;
  }
  throw new Error("the worker did not start running the fit within 30 s");
}

describe("faults", () => {
  it(
    "Python missing: a clear error naming the config key, nothing started",
    async () => {
      const { trainer } = await makeTrainer({ python: "/nonexistent/bin/python3" });
      const err = await trainer
        .fit({ problem_type: "regression", X: small.numeric, y: small.y.regression })
        .catch((e) => e);
      expect(PythonNotFoundError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(
        /"\/nonexistent\/bin\/python3" from CatBoostModelTrainer\.config\.python does not exist/,
      );
      expect(runningWith("/nonexistent/bin/python3")).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "catboost missing: the exact pip line and the setup command; the worker is stopped",
    async () => {
      const venv = join(tempDir("lolpop-bare-venv-"), "venv");
      execFileSync(python, ["-m", "venv", "--without-pip", venv]);
      const bare = join(venv, "bin", "python");
      const { trainer } = await makeTrainer({ python: bare });
      const err = await trainer
        .fit({ problem_type: "regression", X: small.numeric, y: small.y.regression })
        .catch((e) => e);
      expect(PythonModuleMissingError.isInstance(err)).toBe(true);
      expect(err.message).toContain("catboost is not installed");
      expect(err.installCommand).toBe(`${bare} -m pip install catboost==1.2.10 numpy==2.4.6`);
      expect(err.message).toContain(`Install with:\n  ${bare} -m pip install catboost==1.2.10 numpy==2.4.6`);
      expect(err.message).toContain("npx lolpop-catboost-setup");
      await new Promise((r) => setTimeout(r, 200));
      expect(runningWith(venv)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "worker killed mid-training: a clear error with the signal, no process left, next fit works",
    async () => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 1_000_000 } });
      const fit = trainer.fit({ problem_type: "regression", X: big.numeric, y: big.y.regression });
      fit.catch(() => undefined); // if a step below fails, the fit must not end as an unhandled rejection
      const pid = await workerPidWhenBusy();
      process.kill(pid, "SIGKILL");
      const err = await fit.catch((e) => e);
      expect(PythonWorkerError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(
        new RegExp(`catboost worker \\(pid ${pid}\\) was killed by SIGKILL while running "catboost\\.fit"`),
      );
      expect(await gone(pid)).toBe(true);
      const { trainer: again } = await makeTrainer({ training_params: { iterations: 10 } });
      await expect(
        again.fit({ problem_type: "regression", X: small.numeric, y: small.y.regression }),
      ).resolves.toBeDefined();
      expect(sharedWorker().pid).not.toBe(pid);
    },
    TIMEOUT,
  );

  it(
    "training past its timeout: the worker is stopped, a timeout error, no process left",
    async () => {
      const { trainer } = await makeTrainer({
        training_params: { iterations: 1_000_000 },
        timeout_seconds: 2,
      });
      const started = Date.now();
      const fit = trainer.fit({ problem_type: "regression", X: big.numeric, y: big.y.regression });
      fit.catch(() => undefined); // if a step below fails, the fit must not end as an unhandled rejection
      const pid = await workerPidWhenBusy();
      const err = await fit.catch((e) => e);
      expect(PythonTimeoutError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(
        /Python call "catboost\.fit" did not finish within 2 s; the catboost worker \(pid \d+\) was stopped/,
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await gone(pid)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    "cancellation interrupts training in Python; the worker survives",
    async () => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 1_000_000 } });
      const ac = new AbortController();
      const fit = trainer.fit({
        problem_type: "regression",
        X: big.numeric,
        y: big.y.regression,
        signal: ac.signal,
      });
      fit.catch(() => undefined); // if a step below fails, the fit must not end as an unhandled rejection
      const pid = await workerPidWhenBusy();
      const t0 = Date.now();
      ac.abort(new Error("stop training"));
      const err = await fit.catch((e) => e);
      expect(CancelledError.isInstance(err)).toBe(true);
      // The worker answers the next call without a restart once CatBoost stopped.
      const { trainer: next } = await makeTrainer({ training_params: { iterations: 5 } });
      await next.fit({ problem_type: "regression", X: small.numeric, y: small.y.regression });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(sharedWorker().pid).toBe(pid);
    },
    TIMEOUT,
  );

  it.each(["SIGKILL", "SIGTERM"] as const)(
    "the parent process gets %s mid-training: no python left",
    async (signal) => {
      const script = join(packageDir, "test", "fixtures", "parent-fit.mjs");
      if (!existsSync(join(packageDir, "dist", "index.js")))
        throw new Error("build the package first (pnpm build)");
      const child = spawn(process.execPath, [script, python, repoRoot], {
        cwd: packageDir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (d) => {
        stderr += String(d);
      });
      const exited = new Promise((r) => child.on("exit", r));
      const pid = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
          out += String(d);
          if (out.includes("\n")) resolve((JSON.parse(out.split("\n")[0]!) as { worker: number }).worker);
        });
        child.on("exit", (code) => reject(new Error(`parent exited (${code}) early: ${stderr}`)));
      });
      expect(state(pid)).toBe("running");
      child.kill(signal);
      await exited;
      expect(await gone(pid)).toBe(true);
    },
    TIMEOUT,
  );
});
