// Fault tolerance against a real MLflow server: the server is stopped for a few seconds in the
// middle of a run and restarted on the same port with the same sqlite database; the run still
// ends with every metric point, and a param logged during the outage is recorded too. The server
// runs MLflow's basic-auth app, and the tracker takes its credentials from MLFLOW_TRACKING_USERNAME
// and MLFLOW_TRACKING_PASSWORD, paired with the server by MLFLOW_TRACKING_URI.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instantiateComponent } from "@lolpop/core";
import {
  type MlflowTestServer,
  processesMatching,
  startMlflowServer,
} from "../test/fixtures/mlflow-server.mjs";
import { mlflowMetadataTracker } from "./index.js";
import { MlflowClient } from "./mlflow-client.js";
import type { MlflowMetadataTracker } from "./mlflow-metadata-tracker.js";

let server: MlflowTestServer | undefined;
const auth = { username: "admin", password: `Pw-${Math.random().toString(36).slice(2)}-x9` };
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = await startMlflowServer({ basicAuth: auth });
  process.env.MLFLOW_TRACKING_URI = server.uri;
  process.env.MLFLOW_TRACKING_USERNAME = auth.username;
  process.env.MLFLOW_TRACKING_PASSWORD = auth.password;
}, 240_000);

afterAll(async () => {
  for (const k of ["MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"]) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  if (!server) return;
  const dir = server.dir;
  const { leftover } = await server.stop();
  expect(leftover).toBe(false);
  expect(processesMatching(dir)).toEqual([]);
}, 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("authenticates with MLflow's basic auth from the environment, and reports a refusal without the password", async () => {
  const anonymous = new MlflowClient({
    config: { tracking_uri: server!.uri },
    resolve: { env: {}, credentialsFile: "/nonexistent" },
  });
  const refused = await anonymous.getExperiment("0").catch((e) => e);
  expect(refused.status).toBe(401);
  expect(refused.message).toMatch(/MLFLOW_TRACKING_USERNAME/);
  const wrong = new MlflowClient({
    config: { tracking_uri: server!.uri },
    resolve: {
      env: {
        MLFLOW_TRACKING_URI: server!.uri,
        MLFLOW_TRACKING_USERNAME: "admin",
        MLFLOW_TRACKING_PASSWORD: `${auth.password}-wrong`,
      },
    },
  });
  const denied = await wrong.getExperiment("0").catch((e) => e);
  expect(denied.status).toBe(401);
  expect(JSON.stringify({ m: denied.message, d: denied.details })).not.toContain(auth.password);
  const fromEnv = new MlflowClient({ config: { tracking_uri: server!.uri } });
  expect((await fromEnv.getExperiment("0")).name).toBe("Default");
  // The same credentials are not sent to a server MLFLOW_TRACKING_URI does not name.
  const elsewhere = new MlflowClient({
    config: { tracking_uri: server!.uri.replace("127.0.0.1", "localhost") },
    resolve: { env: { ...process.env, MLFLOW_TRACKING_URI: "http://mlflow.example.invalid" } },
  });
  const unpaired = await elsewhere.getExperiment("0").catch((e) => e);
  expect(unpaired.status).toBe(401);
  expect(unpaired.message).toMatch(/credentials from the environment were not sent/);
});
const KEYS = Array.from({ length: 20 }, (_, i) => `metric_${i}`);

it("loses no metric when the server is down for a few seconds mid-run", async () => {
  const first = server!;
  const tracker = (await instantiateComponent(mlflowMetadataTracker, {
    config: {
      tracking_uri: first.uri,
      experiment_name: "fault",
      flush_interval_ms: 200,
      // Retry every ~1 s for up to ~5 minutes, so the restart is noticed quickly.
      max_retries: 300,
      backoff_factor_s: 0.25,
      backoff_jitter_s: 0.1,
      max_backoff_s: 1,
    },
    project: { root: mkdtempSync(join(tmpdir(), "lolpop-mlflow-fault-")) },
  })) as MlflowMetadataTracker;
  // A second tracker that gives up quickly: its end_run fails during the outage, keeping the points.
  const impatient = (await instantiateComponent(mlflowMetadataTracker, {
    config: { tracking_uri: first.uri, experiment_name: "fault", max_retries: 1, backoff_factor_s: 0.05 },
  })) as MlflowMetadataTracker;
  const quick = await impatient.start_run({ name: "ended-during-the-outage" });
  const run = await tracker.start_run({ name: "through-an-outage" });
  await tracker.log_params(run.id, { phase: "before" });
  let step = 0;
  const logSteps = async (n: number) => {
    for (let i = 0; i < n; i++, step++) {
      await tracker.log_metrics(run.id, Object.fromEntries(KEYS.map((k, j) => [k, step * 100 + j])), {
        step,
      });
      await sleep(10);
    }
  };
  await logSteps(50);
  await tracker.flush(run.id);

  // Outage: stop the whole process group, keep logging, restart on the same port and database.
  const { leftover } = await first.stop();
  expect(leftover).toBe(false);
  expect(await new MlflowClient({ config: { tracking_uri: first.uri } }).health()).toBe(false);
  const paramDuringOutage = tracker.log_params(run.id, { during_outage: "yes" });
  await logSteps(50);
  await impatient.log_metrics(quick.id, { a: 1, b: 2 });
  const failed = await impatient.end_run(quick.id, "FINISHED").catch((e) => e);
  expect(failed.code).toBe("mlflow_flush_failed");
  expect(failed.message).toMatch(/2 metric points could not be sent/);
  expect(impatient.pending_metrics(quick.id)).toBe(2);
  await sleep(3000);
  expect(tracker.pending_metrics(run.id)).toBeGreaterThan(0);
  server = await startMlflowServer({ dir: first.dir, port: first.port, basicAuth: auth });
  await logSteps(50);
  await paramDuringOutage;
  await tracker.end_run(run.id, "FINISHED");
  expect(tracker.pending_metrics()).toBe(0);

  const client = new MlflowClient({ config: { tracking_uri: server.uri } });
  const back = await client.getRun(run.id);
  expect(back.info!.status).toBe("FINISHED");
  expect(Object.fromEntries(back.data!.params!.map((p) => [p.key, p.value]))).toEqual({
    phase: "before",
    during_outage: "yes",
  });
  for (const [j, key] of KEYS.entries()) {
    const history = await client.getMetricHistory(run.id, key);
    expect(history.length).toBe(150);
    expect(history.map((m) => m.step).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: 150 }, (_, s) => s),
    );
    expect(history.every((m) => m.value === m.step! * 100 + j)).toBe(true);
  }
  await tracker.close();
  // Called again once the server is back, the impatient tracker's end_run sends the kept points.
  await impatient.end_run(quick.id, "FINISHED");
  expect((await client.getRun(quick.id)).data!.metrics!.map((m) => [m.key, m.value]).sort()).toEqual([
    ["a", 1],
    ["b", 2],
  ]);
  await impatient.close();
}, 240_000);
