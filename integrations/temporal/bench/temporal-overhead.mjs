#!/usr/bin/env node
// Benchmark of @lolpop/temporal against the real dev server, side by side with a local run:
//  1. the penguins quickstart (process, train, deploy, predict) locally and through Temporal with one
//     worker: wall time ratio and overhead per step;
//  2. 16 runs of the quickstart at once (16 seeds) on 1 worker vs 2 workers (each pinned to one core
//     with taskset when available): speed-up of a fleet running independent runs;
//  3. one train run with a 16-trial tuning grid (random forests, n_jobs 1), a light and a heavy one,
//     locally and on 1 vs 2 workers (each pinned to its own core, concurrency 1): the trials are
//     parallel activities; speed-up, and per trial what the workers logged (fit, overhead, CPU).
// Run with `pnpm bench` (root) or `pnpm --filter @lolpop/temporal bench` after a build.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTemporalDevServer } from "../../../scripts/temporal-setup.mjs";
import { TemporalOrchestrator } from "../dist/index.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(pkgDir, "..", "..");
const cliBin = join(repoRoot, "apps", "cli", "bin", "lolpop.js");
const penguins = join(repoRoot, "examples", "quickstart", "penguins");
const env = { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", LOLPOP_LOG_LEVEL: "warn" };
const hasTaskset = spawnSync("taskset", ["--version"]).status === 0;

function project(yamlExtra = "", seed = 42) {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-temporal-bench-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "bench",
      private: true,
      type: "module",
      dependencies: {
        "@lolpop/workflows": "*",
        "@lolpop/local": "*",
        "@lolpop/random-forest": "*",
        "@lolpop/temporal": "*",
      },
    }),
  );
  const link = (name, target) => {
    mkdirSync(dirname(join(dir, "node_modules", name)), { recursive: true });
    symlinkSync(realpathSync(target), join(dir, "node_modules", name));
  };
  for (const p of ["core", "workflows", "local", "random-forest", "cli"])
    link(`@lolpop/${p}`, join(pkgDir, "node_modules", "@lolpop", p));
  link("@lolpop/temporal", pkgDir);
  link("vega-datasets", join(penguins, "node_modules", "vega-datasets"));
  copyFileSync(join(penguins, "prepare-data.mjs"), join(dir, "prepare-data.mjs"));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  const yaml = readFileSync(join(penguins, "lolpop.yaml"), "utf8").replace("seed: 42", `seed: ${seed}`);
  writeFileSync(join(dir, "lolpop.yaml"), yaml + yamlExtra);
  return dir;
}

function timedRun(dir) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cliBin, "run", "--json"], { cwd: dir, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`lolpop run failed in ${dir}: ${r.stderr}`);
  return performance.now() - t0;
}

let workerHome;
async function startWorker(address, queue, core) {
  // Plugin commands come from the project's dependencies: run the worker from a project folder.
  workerHome ??= project();
  const args = [cliBin, "worker", "--address", address, "--task-queue", queue];
  const child = hasTaskset
    ? spawn("taskset", ["-c", String(core), process.execPath, ...args], {
        cwd: workerHome,
        env: { ...env, LOLPOP_LOG_LEVEL: "info" },
        stdio: ["ignore", "ignore", "pipe"],
      })
    : spawn(process.execPath, args, {
        cwd: workerHome,
        env: { ...env, LOLPOP_LOG_LEVEL: "info" },
        stdio: ["ignore", "ignore", "pipe"],
      });
  let out = "";
  child.stderr.on("data", (d) => {
    out += String(d);
  });
  while (!out.includes("worker polling")) {
    if (child.exitCode !== null) throw new Error(`worker exited: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Object.assign(child, { output: () => out });
}

/** The per-trial phases the workers logged (`queued`, `build`, `data`, `trial` ms) since `from`. */
function trialPhases(ws, from) {
  const re =
    /trial \d+ of run \S+ ran on worker \S+ \(queued (\d+) ms, build (\d+) ms, data (\d+) ms, trial (\d+) ms, cpu (\d+) ms\)/g;
  const rows = [];
  for (const [i, w] of ws.entries())
    for (const m of w
      .output()
      .slice(from[i] ?? 0)
      .matchAll(re))
      rows.push({ queued: +m[1], build: +m[2], data: +m[3], trial: +m[4], cpu: +m[5] });
  return rows;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await startTemporalDevServer();
const children = [server.process];
// Interrupted: stop the server and the workers too.
for (const sig of ["SIGINT", "SIGTERM"])
  process.once(sig, () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    process.exit(130);
  });
try {
  // TEMPORAL_BENCH_ONLY=tuning runs part 3 alone.
  const all = process.env.TEMPORAL_BENCH_ONLY !== "tuning";
  const reps = 3;
  const orch = (q) =>
    `\norchestrator:\n  type: TemporalOrchestrator\n  address: ${server.address}\n  task_queue: ${q}\n`;
  if (all) {
    const local = [];
    const remote = [];
    const w = await startWorker(server.address, "bench-1", 0);
    children.push(w);
    timedRun(project(orch("bench-1"))); // warm-up: the worker's first activities import the plugins
    for (let i = 0; i < reps; i++) {
      local.push(timedRun(project()));
      remote.push(timedRun(project(orch("bench-1"))));
    }
    const l = median(local);
    const r = median(remote);
    console.log(
      `quickstart (4 steps), median of ${reps}: local ${l.toFixed(0)} ms, temporal ${r.toFixed(0)} ms`,
    );
    console.log(
      `  ratio temporal/local: ${(r / l).toFixed(2)}x; overhead per step: ${((r - l) / 4).toFixed(0)} ms`,
    );
  }

  const fleet = async (workers, queue) => {
    const ws = [];
    for (let i = 0; i < workers; i++) ws.push(await startWorker(server.address, queue, i));
    children.push(...ws);
    const dirs = Array.from({ length: 16 }, (_, i) => project(orch(queue), 100 + i));
    await new TemporalOrchestrator().run({
      configFile: join(project(orch(queue)), "lolpop.yaml"),
      step: "train",
      runId: randomUUID(),
      config: { address: server.address, task_queue: queue },
    });
    const t0 = performance.now();
    await Promise.all(
      dirs.map((d) =>
        new TemporalOrchestrator().run({
          configFile: join(d, "lolpop.yaml"),
          step: "train",
          runId: randomUUID(),
          config: { address: server.address, task_queue: queue },
        }),
      ),
    );
    const ms = performance.now() - t0;
    for (const x of ws) x.kill("SIGTERM");
    return ms;
  };
  if (all) {
    const one = await fleet(1, "bench-fleet-1");
    const two = await fleet(2, "bench-fleet-2");
    console.log(
      `16 runs (train) at once${hasTaskset ? ", each worker pinned to one core" : ""}: 1 worker ${one.toFixed(0)} ms, 2 workers ${two.toFixed(0)} ms`,
    );
    console.log(`  speed-up 2 workers vs 1: ${(one / two).toFixed(2)}x`);
  }

  // 3. One tuner's 16 trials fanned out over the workers: a light grid (~0.2 s per trial, the
  //    penguins data) and a heavy one (300-400 trees on the penguins rows repeated 48 times with jitter,
  //    seconds per trial). TEMPORAL_BENCH_GRID=light|heavy runs one of them.
  const grids = {
    light: {
      params: "{ n_jobs: 1, n_estimators: [40, 80], max_depth: [2, 3, 4, 5, 6, 8, 10, 12] }",
      scale: 1,
    },
    heavy: {
      params: "{ n_jobs: 1, n_estimators: [300, 400], max_depth: [4, 5, 6, 8, 10, 12, 14, 16] }",
      scale: 48,
    },
  };
  const withGrid = (dir, grid) => {
    const f = join(dir, "lolpop.yaml");
    writeFileSync(
      f,
      readFileSync(f, "utf8")
        .replace(
          "    model_trainer: RandomForestModelTrainer\n",
          "    model_trainer: RandomForestModelTrainer\n    hyperparameter_tuner: LocalHyperparameterTuner\n",
        )
        .replace(
          "  model_trainer:\n",
          `  hyperparameter_tuner:\n    config:\n      training_params:\n        RandomForestModelTrainer: ${grid.params}\n  model_trainer:\n`,
        ),
    );
    if (grid.scale > 1) {
      // More rows: each labelled row `scale` times, numbers jittered by up to 1% (deterministic).
      const csv = join(dir, "data", "train.csv");
      const [head, ...rows] = readFileSync(csv, "utf8").trimEnd().split("\n");
      const out = [head];
      let id = 0;
      for (let k = 0; k < grid.scale; k++)
        for (const [n, r] of rows.entries()) {
          const cells = r.split(",");
          cells[0] = String(++id);
          for (const c of [3, 4, 5, 6])
            if (cells[c] !== "")
              cells[c] = String(+cells[c] * (1 + 0.01 * Math.sin(k * 7919 + n * 104729 + c)));
          out.push(cells.join(","));
        }
      writeFileSync(csv, `${out.join("\n")}\n`);
    }
    return dir;
  };
  const train = (dir, core) => {
    const args = [cliBin, "run", "--step", "train", "--json"];
    const t0 = performance.now();
    const r =
      core !== undefined && hasTaskset
        ? spawnSync("taskset", ["-c", String(core), process.execPath, ...args], {
            cwd: dir,
            env,
            encoding: "utf8",
          })
        : spawnSync(process.execPath, args, { cwd: dir, env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`lolpop run failed in ${dir}: ${r.stderr}`);
    return { ms: performance.now() - t0, train: JSON.parse(r.stdout).train };
  };
  const tuning = async (grid, workers, queue) => {
    const ws = [];
    for (let i = 0; i < workers; i++) ws.push(await startWorker(server.address, queue, i));
    children.push(...ws);
    train(withGrid(project(orch(queue)), grids.light)); // warm-up: every worker imports the plugins
    await new Promise((r) => setTimeout(r, 500)); // the workers' last log lines
    const from = ws.map((w) => w.output().length);
    const r = train(withGrid(project(orch(queue)), grid));
    await new Promise((r) => setTimeout(r, 500));
    const phases = trialPhases(ws, from);
    for (const x of ws) x.kill("SIGTERM");
    return { ...r, phases };
  };
  const avg = (rows, k) => rows.reduce((a, r) => a + r[k], 0) / Math.max(1, rows.length);
  for (const name of (process.env.TEMPORAL_BENCH_GRID ?? "light,heavy").split(",")) {
    const grid = grids[name];
    const local = train(withGrid(project(), grid), 0);
    const t1 = await tuning(grid, 1, `bench-tune-${name}-1`);
    const t2 = await tuning(grid, 2, `bench-tune-${name}-2`);
    if (JSON.stringify(t1.train.params) !== JSON.stringify(local.train.params))
      throw new Error(
        `the winner differs: local ${JSON.stringify(local.train.params)}, temporal ${JSON.stringify(t1.train.params)}`,
      );
    console.log(
      `train with a 16-trial ${name} grid${hasTaskset ? ", each process pinned to its own core" : ""}: local ${local.ms.toFixed(0)} ms, 1 worker ${t1.ms.toFixed(0)} ms, 2 workers ${t2.ms.toFixed(0)} ms`,
    );
    console.log(
      `  speed-up 2 workers vs 1: ${(t1.ms / t2.ms).toFixed(2)}x; 2 workers vs local: ${(local.ms / t2.ms).toFixed(2)}x`,
    );
    for (const [label, t] of [
      ["1 worker", t1],
      ["2 workers", t2],
    ])
      console.log(
        `  per trial (${label}, ${t.phases.length} trials): fit ${avg(t.phases, "trial").toFixed(0)} ms, overhead build ${avg(t.phases, "build").toFixed(0)} ms + data ${avg(t.phases, "data").toFixed(0)} ms, cpu ${avg(t.phases, "cpu").toFixed(0)} ms (${((100 * avg(t.phases, "cpu")) / Math.max(1, avg(t.phases, "trial") + avg(t.phases, "build") + avg(t.phases, "data"))).toFixed(0)}% of the trial's wall time: below ~90%, the worker was starved of CPU), queued ${avg(t.phases, "queued").toFixed(0)} ms`,
      );
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
}
