// A lolpop run through Temporal, against the real dev server and two `lolpop worker` processes:
// same metrics and promotion as a local run; bad config fails at once with the local message;
// transient errors are retried; a SIGKILLed worker's step is retried on the other worker and the
// model is registered once; a killed client re-attaches with `lolpop runs attach`.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  lolpop,
  lolpopAsync,
  penguinsProject,
  slowTrain,
  startDevServer,
  startWorker,
  suiteDevServer,
  versions,
  waitFor,
} from "./harness.js";

const server = suiteDevServer();

/** The orchestrator section; each test uses its own task queue, so its workers take only its runs. */
const orchestrator = (address: string, queue: string, steps = "") =>
  `\norchestrator:\n  type: TemporalOrchestrator\n  address: ${address}\n  task_queue: ${queue}\n${steps}`;

/** Registered versions of the penguins model in the project's local store. */
/** The run id `lolpop run` logs when it starts a run on Temporal. */
function runIdOf(stderr: string): string | undefined {
  return /run ([0-9a-f-]{36}) on temporal/.exec(stderr)?.[1];
}

/** A data transformer module (LocalDataTransformer) that counts its calls in `counter` and fails as told. */
function transformerModule(dir: string, body: string): void {
  writeFileSync(
    join(dir, "transform.mjs"),
    `import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { DataError } from "@lolpop/core";
const counter = ${JSON.stringify(join(dir, "calls.txt"))};
export function transform(table) {
  const n = (existsSync(counter) ? Number(readFileSync(counter, "utf8")) : 0) + 1;
  writeFileSync(counter, String(n));
  void DataError;
${body}
  return table;
}
`,
  );
}

const calls = (dir: string) => Number(readFileSync(join(dir, "calls.txt"), "utf8"));

/** Adds a data transformer to the process pipeline of the penguins config. */
function withTransformer(dir: string): void {
  const f = join(dir, "lolpop.yaml");
  writeFileSync(
    f,
    readFileSync(f, "utf8").replace(
      "process:\n  components:\n    data_connector: LocalDataConnector\n",
      "process:\n  components:\n    data_connector: LocalDataConnector\n    data_transformer: LocalDataTransformer\n  data_transformer:\n    config:\n      module: transform.mjs\n",
    ),
  );
}

describe("lolpop run on Temporal", () => {
  test("the penguins quickstart gives the same metrics and promotion through Temporal as locally", async () => {
    const local = penguinsProject();
    const l = lolpop(["run", "--json"], local.dir);
    expect(l.code).toBe(0);
    const localSummary = JSON.parse(l.stdout);

    const t = penguinsProject(orchestrator(server.address, "q-penguins"));
    const w1 = await startWorker(t.dir, server.address, ["--task-queue", "q-penguins"]);
    const w2 = await startWorker(t.dir, server.address, ["--task-queue", "q-penguins"]);
    const r = lolpop(["run", "--json"], t.dir);
    expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
    const s = JSON.parse(r.stdout);
    expect(s.ok).toBe(true);
    expect(s.process).toEqual(localSummary.process);
    expect(s.train.metrics).toEqual(localSummary.train.metrics);
    expect(s.train.version).toBe(1);
    expect(s.deploy.promoted).toBe(localSummary.deploy.promoted);
    expect(s.deploy.reasons).toEqual(localSummary.deploy.reasons);
    expect(s.predict.rows).toBe(localSummary.predict.rows);
    w1.kill("SIGTERM");
    w2.kill("SIGTERM");
  }, 280_000);

  test("transient errors are retried until the step succeeds; bad data fails at once with the local message", async () => {
    const steps = "  steps:\n    process:\n      retry: { maximum_attempts: 5, initial_interval: 100ms }\n";
    const t = penguinsProject(orchestrator(server.address, "q-retries", steps));
    withTransformer(t.dir);
    transformerModule(t.dir, '  if (n <= 2) throw new Error("transient failure " + n);');
    const w1 = await startWorker(t.dir, server.address, ["--task-queue", "q-retries"]);
    const w2 = await startWorker(t.dir, server.address, ["--task-queue", "q-retries"]);
    const ok = lolpop(["run", "--step", "train", "--json"], t.dir);
    expect({ code: ok.code, stderr: ok.code === 0 ? "" : ok.stderr }).toEqual({ code: 0, stderr: "" });
    expect(calls(t.dir)).toBe(3);
    expect(JSON.parse(ok.stdout).train.version).toBe(1);

    // Bad data: the same project locally and through Temporal, one attempt only.
    const bad =
      '  throw new DataError({ message: \'column "flipper_length_mm" has negative values (row \' + n + ")", code: "bad_rows" });';
    const local = penguinsProject();
    withTransformer(local.dir);
    transformerModule(local.dir, bad);
    const l = lolpop(["run", "--json"], local.dir);
    expect(l.code).not.toBe(0);
    const localError = JSON.parse(l.stdout).error;

    // A new project: a worker keeps the transform module it imported (restart workers after changing code).
    const t2 = penguinsProject(orchestrator(server.address, "q-retries"));
    withTransformer(t2.dir);
    transformerModule(t2.dir, bad);
    const r = lolpop(["run", "--json"], t2.dir);
    expect(r.code).toBe(l.code);
    const remoteError = JSON.parse(r.stdout).error;
    expect(remoteError).toEqual(localError);
    expect(remoteError.message).toContain('column "flipper_length_mm" has negative values (row 1)');
    expect(calls(t2.dir)).toBe(1);
    w1.kill("SIGTERM");
    w2.kill("SIGTERM");
  }, 280_000);

  test("a worker SIGKILLed mid-train: the step is retried on the other worker, one model version is registered", async () => {
    const steps =
      "  steps:\n    train:\n      heartbeat_timeout: 3s\n      retry: { initial_interval: 100ms }\n";
    const t = penguinsProject(orchestrator(server.address, "q-kill-worker", steps));
    slowTrain(t.dir, 40_000);
    const w1 = await startWorker(t.dir, server.address, ["--task-queue", "q-kill-worker"]);
    const w2 = await startWorker(t.dir, server.address, ["--task-queue", "q-kill-worker"]);
    const run = lolpopAsync(["run", "--step", "deploy", "--json"], t.dir);
    const training = () => [w1, w2].find((w) => w.output().includes("step train of run"));
    await waitFor(() => training() !== undefined, 120_000, "a worker to start the train step");
    const victim = training()!;
    const other = victim === w1 ? w2 : w1;
    // The feature transformer is fitted: the forest's fit (seconds) has begun. A fixed sleep here once
    // outlasted the whole fit after the forest got faster, and the kill landed after the step.
    await waitFor(() => victim.output().includes("fitted on "), 60_000, "the forest fit to start");
    victim.kill("SIGKILL");
    const code = await run.exited;
    expect({ code, stderr: code === 0 ? "" : run.stderr() }).toEqual({ code: 0, stderr: "" });
    expect(victim.output()).not.toMatch(/step train of run \S+ finished/);
    expect(other.output()).toMatch(/step train of run \S+ started \(attempt 2\)/);
    const s = JSON.parse(run.stdout());
    expect(s.train.version).toBe(1);
    expect(versions(t.dir)).toEqual(["1"]);
    expect(s.deploy.promoted).toBe(true);
    other.kill("SIGTERM");
  }, 280_000);

  test("the client killed mid-run: lolpop runs attach <id> follows the run to its end", async () => {
    const t = penguinsProject(orchestrator(server.address, "q-attach"));
    const w1 = await startWorker(t.dir, server.address, ["--task-queue", "q-attach"]);
    const w2 = await startWorker(t.dir, server.address, ["--task-queue", "q-attach"]);
    const run = lolpopAsync(["run"], t.dir, { LOLPOP_LOG_LEVEL: "info" });
    await waitFor(() => runIdOf(run.stderr()) !== undefined, 60_000, "the run id");
    const id = runIdOf(run.stderr())!;
    await waitFor(
      () => [w1, w2].some((w) => w.output().includes(`step process of run ${id} started`)),
      60_000,
      "the process step",
    );
    run.child.kill("SIGKILL");
    await run.exited;
    const a = lolpop(["runs", "attach", id, "--json", "--address", server.address], t.dir);
    expect({ code: a.code, stderr: a.code === 0 ? "" : a.stderr }).toEqual({ code: 0, stderr: "" });
    const s = JSON.parse(a.stdout);
    expect(s.ok).toBe(true);
    expect(s.train.version).toBe(1);
    expect(s.predict.rows).toBeGreaterThan(0);
    expect(versions(t.dir)).toEqual(["1"]);
    w1.kill("SIGTERM");
    w2.kill("SIGTERM");
  }, 280_000);

  test("the server killed and restarted (--db-filename) mid-run: the run completes", async () => {
    const dbFile = join(mkdtempSync(join(tmpdir(), "lolpop-temporal-db-")), "temporal.db");
    let durable = await startDevServer({ dbFile });
    const port = durable.port;
    const steps = "  steps:\n    train:\n      heartbeat_timeout: 5s\n";
    const t = penguinsProject(orchestrator(durable.address, "q-restart", steps));
    slowTrain(t.dir, 4000);
    const w1 = await startWorker(t.dir, durable.address, ["--task-queue", "q-restart"]);
    const w2 = await startWorker(t.dir, durable.address, ["--task-queue", "q-restart"]);
    const run = lolpopAsync(["run", "--json"], t.dir);
    await waitFor(
      () => [w1, w2].some((w) => w.output().includes("step train of run")),
      120_000,
      "the train step",
    );
    durable.kill();
    await new Promise((r) => setTimeout(r, 2000));
    durable = await startDevServer({ dbFile, port });
    const code = await run.exited;
    expect({ code, stderr: code === 0 ? "" : run.stderr() }).toEqual({ code: 0, stderr: "" });
    const s = JSON.parse(run.stdout());
    expect(s.train.version).toBe(1);
    expect(s.predict.rows).toBeGreaterThan(0);
    expect(versions(t.dir)).toEqual(["1"]);
    w1.kill("SIGTERM");
    w2.kill("SIGTERM");
    durable.kill();
  }, 280_000);
});
