// Tuning on Temporal: the trials of a search fan out as parallel activities over two `lolpop worker`
// processes (each records the trials it ran) and the tuner picks the same winner as a local run.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lolpop, penguinsProject, startWorker, suiteDevServer, waitFor } from "./harness.js";

const server = suiteDevServer();

/** Adds a grid search of 6 random forests to the penguins config. */
function withTuner(dir: string): void {
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
        "  hyperparameter_tuner:\n    config:\n      training_params:\n        RandomForestModelTrainer: { n_estimators: 10, max_depth: [1, 2, 3, 4, 6, 8] }\n  model_trainer:\n",
      ),
  );
}

/** The trials a worker's log says it ran: `[trial number, worker]`. */
function trialsRan(output: string): Array<[number, string]> {
  return [...output.matchAll(/trial (\d+) of run \S+ ran on worker (\S+)/g)].map((m) => [
    Number(m[1]),
    m[2]!,
  ]);
}

test("a tuning search runs its trials on both workers and keeps the local winner", async () => {
  const local = penguinsProject();
  withTuner(local.dir);
  const l = lolpop(["run", "--step", "train", "--json"], local.dir);
  expect({ code: l.code, stderr: l.code === 0 ? "" : l.stderr }).toEqual({ code: 0, stderr: "" });
  const localTrain = JSON.parse(l.stdout).train;

  const queue = "q-trials";
  const t = penguinsProject(
    `\norchestrator:\n  type: TemporalOrchestrator\n  address: ${server.address}\n  task_queue: ${queue}\n`,
  );
  withTuner(t.dir);
  const w1 = await startWorker(t.dir, server.address, ["--task-queue", queue]);
  const w2 = await startWorker(t.dir, server.address, ["--task-queue", queue]);
  const r = lolpop(["run", "--step", "train", "--json"], t.dir);
  expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
  const train = JSON.parse(r.stdout).train;
  expect(train.params).toEqual(localTrain.params);
  expect(train.metrics).toEqual(localTrain.metrics);
  expect(train.version).toBe(1);

  // The workers' output arrives once this process reads its pipes again (spawnSync blocked it).
  await waitFor(() => trialsRan(w1.output() + w2.output()).length >= 6, 10_000, "the trial log lines").catch(
    () => undefined,
  );
  const ran1 = trialsRan(w1.output());
  const ran2 = trialsRan(w2.output());
  // Every trial ran exactly once, and each worker ran some.
  expect([...ran1, ...ran2].map(([n]) => n).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(ran1.length).toBeGreaterThan(0);
  expect(ran2.length).toBeGreaterThan(0);
  expect(new Set(ran1.map(([, w]) => w)).size).toBe(1);
  expect(ran1[0]![1]).not.toBe(ran2[0]![1]);
  w1.kill("SIGTERM");
  w2.kill("SIGTERM");
}, 280_000);
