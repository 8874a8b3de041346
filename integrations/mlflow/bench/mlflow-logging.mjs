#!/usr/bin/env node
// Benchmark: logging 10,000 metric points and 200 params to one run through MLflowMetadataTracker
// (buffered metrics, batched log-batch requests) vs MLflow's Python client doing the same with
// `log_batch`, against the same local MLflow server in one run. Each side is timed in its own
// process from run creation to the run being ended (imports and interpreter start excluded),
// after one warm-up round each; rounds alternate between the two sides so that load changes on the
// machine hit both; medians are compared as a ratio (lolpop / Python, below 1 = faster).
// Usage: node bench/mlflow-logging.mjs [--rounds N]   (needs `pnpm build` and `pnpm python:setup`)
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { instantiateComponent } from "@lolpop/core";
import { MlflowClient, mlflowMetadataTracker } from "../dist/index.js";
import { startMlflowServer, venvPython } from "../test/fixtures/mlflow-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
const POINTS = 10_000;
const KEYS = 10;
const PARAMS = 200;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x) => Math.round(x * 10) / 10;

const python = venvPython();
const server = await startMlflowServer();
try {
  const client = new MlflowClient({ config: { tracking_uri: server.uri }, resolve: { env: {} } });
  const tracker = await instantiateComponent(mlflowMetadataTracker, {
    config: { tracking_uri: server.uri, experiment_name: "bench-lolpop" },
  });
  const pyExp = (await client.getOrCreateExperiment("bench-python")).experiment_id;

  async function lolpopRound() {
    const t0 = performance.now();
    const run = await tracker.start_run({ name: "lolpop-log-metrics" });
    const params = {};
    for (let i = 0; i < PARAMS; i++) params[`param_${i}`] = `value_${i}`;
    await tracker.log_params(run.id, params);
    for (let step = 0; step < POINTS / KEYS; step++) {
      const m = {};
      for (let k = 0; k < KEYS; k++) m[`metric_${k}`] = step * 0.001 + k;
      await tracker.log_metrics(run.id, m, { step });
    }
    await tracker.end_run(run.id, "FINISHED");
    return { ms: performance.now() - t0, runId: run.id };
  }

  const worker = spawn(
    python,
    [join(here, "python_log_batch.py"), server.uri, pyExp, String(POINTS), String(KEYS), String(PARAMS)],
    {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "1" },
    },
  );
  const lines = createInterface({ input: worker.stdout })[Symbol.asyncIterator]();
  async function pythonRound() {
    worker.stdin.write("go\n");
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error("python_log_batch.py exited early");
      if (value.startsWith("LOLPOP_RESULT ")) return JSON.parse(value.slice(14));
    }
  }

  await lolpopRound(); // warm-up
  await pythonRound(); // warm-up (and the Python imports)
  const lolpop = [];
  const pyMs = [];
  let lolpopRun;
  let pyRun;
  for (let i = 0; i < ROUNDS; i++) {
    const a = await lolpopRound();
    lolpop.push(a.ms);
    lolpopRun = a.runId;
    const b = await pythonRound();
    pyMs.push(b.ms);
    pyRun = b.run_id;
  }
  worker.stdin.end();
  await new Promise((r) => worker.on("exit", r));

  // Both sides recorded everything.
  for (const runId of [lolpopRun, pyRun]) {
    const run = await client.getRun(runId);
    const history = await client.getMetricHistory(runId, "metric_3");
    if (
      run.data.params.length !== PARAMS ||
      run.data.metrics.length !== KEYS ||
      history.length !== POINTS / KEYS
    )
      throw new Error(
        `run ${runId} is incomplete: ${run.data.params.length} params, ${history.length} points of metric_3`,
      );
  }
  await tracker.close();

  const results = {
    benchmark: `log ${POINTS} metric points (${KEYS} keys x ${POINTS / KEYS} steps) and ${PARAMS} params to one run`,
    server: `MLflow ${await client.serverVersion()} (sqlite, 127.0.0.1)`,
    rounds: ROUNDS,
    lolpop_MLflowMetadataTracker_ms: { median: round1(median(lolpop)), min: round1(Math.min(...lolpop)) },
    python_MlflowClient_log_batch_ms: { median: round1(median(pyMs)), min: round1(Math.min(...pyMs)) },
    ratio_lolpop_to_python: Math.round((median(lolpop) / median(pyMs)) * 100) / 100,
  };
  console.log(JSON.stringify(results, null, 2));
} finally {
  const { leftover } = await server.stop();
  if (leftover) console.error("warning: an MLflow server process survived");
}
