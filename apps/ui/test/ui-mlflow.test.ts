// lolpop ui on MLflow: a real MLflow server (the mlflow integration's test fixture, from the
// project's venv, on 127.0.0.1 and a free port), the penguins quickstart trained twice through
// `lolpop run` with MLflowMetadataTracker and MLflowModelRepository (manual approval), and the UI
// over that store in headless Chromium. Every number the page shows is compared with what MLflow's
// REST API says (not with lolpop's own readers); the actions' alias moves are read back from
// MLflow's `registered-models/alias`.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProjectStore } from "@lolpop/cli";
import type { FastifyInstance } from "fastify";
import { type Browser, chromium, type Page } from "playwright-core";
import {
  type MlflowTestServer,
  processesMatching,
  startMlflowServer,
} from "../../../integrations/mlflow/test/fixtures/mlflow-server.mjs";
import { penguinsYaml } from "../../../tests/penguins.js";
import { CSRF_HEADER, createUiApp } from "../src/index.js";
import {
  chromiumPath,
  linkedProject,
  openPage,
  pageActions,
  lolpop as runLolpop,
  shown,
  startUiCommand,
  until,
} from "./ui-harness.js";

const SLOW = 300_000;
const EXPERIMENT = "ui-penguins";

interface MlflowRun {
  info: { run_id: string; run_name?: string; status: string; start_time: number | string };
  data?: {
    metrics?: Array<{ key: string; value: number }>;
    params?: Array<{ key: string; value: string }>;
    tags?: Array<{ key: string; value: string }>;
  };
}

describe("lolpop ui on an MLflow tracking server and model registry", () => {
  let server: MlflowTestServer;
  let dir: string;
  let store: ProjectStore;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  const cwd = process.cwd();

  /** MLflow's REST API, read directly (GET with a query, POST with a JSON body). */
  async function rest<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${server.uri}/api/2.0/mlflow/${path}`, {
      method: body === undefined ? "GET" : "POST",
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`MLflow ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
  async function mlflowRuns(): Promise<MlflowRun[]> {
    const { experiment } = await rest<{ experiment: { experiment_id: string } }>(
      `experiments/get-by-name?experiment_name=${EXPERIMENT}`,
    );
    return (
      (await rest<{ runs?: MlflowRun[] }>("runs/search", { experiment_ids: [experiment.experiment_id] }))
        .runs ?? []
    );
  }
  /** The version MLflow's registered model `penguins` has under the alias `champion`, or null. */
  const champion = async (): Promise<number | null> => {
    const { registered_model } = await rest<{
      registered_model: { aliases?: Array<{ alias: string; version: string }> };
    }>("registered-models/get?name=penguins");
    const at = registered_model.aliases?.find((a) => a.alias === "champion");
    return at ? Number(at.version) : null;
  };
  const kv = (list: Array<{ key: string; value: number | string }> | undefined) =>
    Object.fromEntries((list ?? []).map((m) => [m.key, m.value]));

  const lolpop = (args: string[]) => runLolpop(dir, args);

  beforeAll(async () => {
    server = await startMlflowServer();
    dir = linkedProject("lolpop-ui-mlflow-", ["@lolpop/mlflow"]);
    // Two versions, each waiting for `approve` (manual approval).
    for (const [trees, depth] of [
      [1, 1],
      [15, 6],
    ] as const) {
      writeFileSync(
        join(dir, "lolpop.yaml"),
        penguinsYaml({
          trees,
          depth,
          seed: 7,
          noPredict: true,
          tracker: "MLflowMetadataTracker",
          repository: "MLflowModelRepository",
          config: [`tracking_uri: ${server.uri}`, `experiment_name: ${EXPERIMENT}`],
          deployConfig: [
            "approval: manual",
            "require_beat_champion: true",
            "on_champion_unscorable: replace",
          ],
        }),
      );
      lolpop(["run", "--step", "deploy"]);
    }
    process.chdir(dir);
    const { openStore } = await import("@lolpop/cli");
    store = await openStore(join(dir, "lolpop.yaml"));
    ({ app } = await createUiApp(store, { user: "tester" }));
    url = (await app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    process.chdir(cwd);
    if (server) {
      const { leftover } = await server.stop();
      expect(leftover).toBe(false);
      expect(processesMatching(server.dir)).toEqual([]);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const open = (hash: string) => openPage(browser, url, hash);
  /** The cells of the table right after the heading `title`. */
  const tableAfter = (page: Page, title: string) =>
    page.$$eval(`main h2:text-is("${title}") + table tbody tr`, (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent ?? "")),
    );
  /** MLflow's runs of the training stage, oldest first. */
  const trainRuns = async () =>
    (await mlflowRuns())
      .filter((r) => kv(r.data?.tags)["lolpop.stage"] === "train")
      .sort((a, b) => Number(kv(a.data?.tags).model_version) - Number(kv(b.data?.tags).model_version));

  test("the runs page lists the experiment's runs as MLflow has them", async () => {
    const runs = await mlflowRuns();
    // Two `lolpop run`s: a workflow run and a train run each (the train runs nested).
    expect(runs.map((r) => kv(r.data?.tags)["lolpop.stage"]).sort()).toEqual([
      "train",
      "train",
      "workflow",
      "workflow",
    ]);
    const { page, errors } = await open("/runs");
    const rows = await page.$$eval("#runs tbody tr", (trs) =>
      trs.map((tr) => [1, 2, 3].map((i) => tr.children[i]!.textContent)),
    );
    expect(rows.map((r) => r.join(" ")).sort()).toEqual(
      runs.map((r) => [r.info.run_name, r.info.status, kv(r.data?.tags)["lolpop.stage"]].join(" ")).sort(),
    );
    // The pipeline filter goes to MLflow's search (a tag filter).
    await page.goto(`${url}/#/runs?pipeline=train`);
    await page.waitForFunction(() =>
      (globalThis as unknown as { location: { hash: string } }).location.hash.includes("pipeline"),
    );
    await page.waitForSelector("main[data-ready]");
    await until(() => page.$$eval("#runs tbody tr", (trs) => trs.length), 2);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the status and start-date filters of the runs page go through MLflow's search", async () => {
    const runs = await mlflowRuns();
    const { page, errors } = await open("/runs?status=FINISHED");
    const count = () => page.locator(".toolbar > span").textContent();
    expect(await count()).toBe(`${runs.filter((r) => r.info.status === "FINISHED").length} runs`);
    await page.goto(`${url}/#/runs?status=FAILED`);
    await until(count, "0 runs");
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${url}/#/runs?since=${tomorrow}`);
    await until(count, "0 runs");
    // From the day (UTC, as the API reads a date) of the first run MLflow recorded: all of them.
    const first = Math.min(...runs.map((r) => Number(r.info.start_time)));
    await page.goto(`${url}/#/runs?since=${new Date(first).toISOString().slice(0, 10)}`);
    await until(count, `${runs.length} runs`);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a train run's page shows the params and metrics MLflow recorded, per split", async () => {
    const [, second] = await trainRuns();
    const metrics = kv(second!.data?.metrics) as Record<string, number>;
    const params = kv(second!.data?.params) as Record<string, string>;
    expect(params.n_estimators).toBe("15");
    const { page, errors } = await open(`/run/${encodeURIComponent(second!.info.run_id)}`);
    expect(Object.fromEntries(await tableAfter(page, "Params"))).toEqual(params);
    const shownMetrics = Object.fromEntries(await tableAfter(page, "Metrics"));
    expect(shownMetrics).toEqual(Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, shown(v)])));
    const row = await page.$$eval("#split-metrics tbody tr", (trs) =>
      trs
        .map((tr) => [...tr.children].map((td) => td.textContent))
        .find((cells) => cells[0] === "f1_macro" && cells[1] === "test"),
    );
    expect(row).toEqual([
      "f1_macro",
      "test",
      shown(metrics["test.f1_macro"]!),
      shown(metrics["baseline.test.f1_macro"]!),
      "",
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a workflow run's page shows its component calls and its log, stored as MLflow artifacts", async () => {
    const wf = (await mlflowRuns()).find((r) => kv(r.data?.tags)["lolpop.stage"] === "workflow")!;
    const { page, errors } = await open(`/run/${encodeURIComponent(wf.info.run_id)}`);
    expect(await page.$$("#calls tbody tr")).not.toHaveLength(0);
    expect(await page.$$("#log tbody tr")).not.toHaveLength(0);
    const children = await tableAfter(page, "Child runs");
    expect(children.map((c) => c[1])).toEqual(["FINISHED"]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("compare shows the two train runs' params and metrics with the differences highlighted", async () => {
    const train = await trainRuns();
    expect(train).toHaveLength(2);
    const ids = train.map((r) => r.info.run_id);
    const { page, errors } = await open(`/compare/${ids.join(",")}`);
    const row = async (key: string) =>
      page.$eval(`#compare tbody tr:has(td:nth-child(2):text-is("${key}"))`, (tr) => ({
        cells: [...tr.children].slice(2).map((td) => td.textContent),
        differs: tr.classList.contains("differs"),
      }));
    expect(await row("n_estimators")).toEqual({
      cells: train.map((r) => kv(r.data?.params).n_estimators),
      differs: true,
    });
    expect(await row("perf_metric")).toEqual({ cells: ["f1_macro", "f1_macro"], differs: false });
    const f1 = await row("test.f1_macro");
    expect(f1.cells).toEqual(train.map((r) => shown(kv(r.data?.metrics)["test.f1_macro"] as number)));
    expect(await page.$$("main svg rect")).not.toHaveLength(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the models, model and version pages show MLflow's registered versions, metrics and feature importance", async () => {
    const { model_versions } = await rest<{
      model_versions: Array<{
        version: string;
        run_id: string;
        tags?: Array<{ key: string; value: string }>;
      }>;
    }>(`model-versions/search?filter=${encodeURIComponent("name='penguins'")}`);
    expect(model_versions.map((v) => v.version).sort()).toEqual(["1", "2"]);
    const { page, errors } = await open("/models");
    expect(await page.$$eval("main tbody tr", (trs) => trs.map((tr) => tr.textContent))).toEqual([
      "penguins2nonev2",
    ]);
    await page.goto(`${url}/#/model/penguins`);
    await page.waitForSelector("main[data-ready]");
    const versions = await page.$$eval("main table:first-of-type tbody tr", (trs) =>
      trs.map((tr) => [...tr.children].slice(0, 4).map((td) => td.textContent)),
    );
    expect(versions.map((v) => [v[0], v[2], v[3]])).toEqual([
      ["v1", "", "no"],
      ["v2", "", "no"],
    ]);
    const v2 = model_versions.find((v) => v.version === "2")!;
    // The version's metrics are MLflow version tags `lolpop.metric.<key>`.
    const want = (v2.tags ?? [])
      .filter((t) => t.key.startsWith("lolpop.metric."))
      .map((t) => [t.key.slice("lolpop.metric.".length), shown(Number(t.value))]);
    expect(want.length).toBeGreaterThan(3);
    await page.goto(`${url}/#/version/penguins/2`);
    await page.waitForSelector("main[data-ready]");
    const cells = await page.$$eval("main table:first-of-type tbody tr", (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)),
    );
    expect(cells.sort()).toEqual(want.sort());
    // The random forest's feature importance (the model downloaded from MLflow's artifacts).
    const bars = await page.$$eval("#importance g.bar", (gs) =>
      gs.map((g) => g.querySelector(".label")!.textContent),
    );
    expect(bars.length).toBeGreaterThan(3);
    expect(await page.locator("#curves-note").textContent()).toMatch(/no per-step metrics/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the lineage graph of a version links MLflow's dataset input, the runs and the version", async () => {
    const { model_version } = await rest<{ model_version: { run_id: string } }>(
      "model-versions/get?name=penguins&version=2",
    );
    const train = (await mlflowRuns()).find((r) => r.info.run_id === model_version.run_id)!;
    const parent = kv(train.data?.tags)["mlflow.parentRunId"];
    expect(parent).toBeDefined();
    const { page, errors } = await open("/lineage/penguins/2");
    const nodes = await page.$$eval("#lineage g.node", (gs) =>
      gs.map((g) => `${g.getAttribute("data-kind")} ${g.getAttribute("data-node")}`),
    );
    expect(nodes.filter((n) => n.startsWith("data "))).toHaveLength(1);
    expect(nodes.filter((n) => !n.startsWith("data "))).toEqual([
      `run run:${parent}`,
      `run run:${model_version.run_id}`,
      "model model:penguins:2",
    ]);
    const edges = await page.$$eval("#lineage path.edge", (ps) =>
      ps.map((p) => `${p.getAttribute("data-from")} -> ${p.getAttribute("data-to")}`),
    );
    expect(edges).toContain(`run:${parent} -> run:${model_version.run_id}`);
    expect(edges).toContain(`run:${model_version.run_id} -> model:penguins:2`);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("training curves and HTML reports of a version come from MLflow's metric history and artifacts", async () => {
    const { model_version } = await rest<{ model_version: { run_id: string } }>(
      "model-versions/get?name=penguins&version=1",
    );
    const runId = model_version.run_id;
    // Per-step metrics (as a trainer that logs epochs does) and a report, into the version's run.
    for (const [step, loss] of [
      [1, 0.9],
      [2, 0.55],
      [3, 0.425],
    ] as const)
      await store.tracker!.log_metrics(runId, { "epoch.loss": loss }, { step });
    await store.tracker!.log_artifact(
      runId,
      "checks/drift.html",
      "<html><body><h1>Drift here</h1></body></html>",
    );
    // get_run sends what the tracker buffered for the run.
    expect((await store.tracker!.get_run(runId)).artifacts).toContain("checks/drift.html");
    const { metrics } = await rest<{ metrics: Array<{ step?: number; value: number }> }>(
      `metrics/get-history?run_id=${runId}&metric_key=epoch.loss`,
    );
    expect(metrics.map((m) => m.step ?? 0)).toEqual([1, 2, 3]);
    const { page, errors } = await open("/version/penguins/1");
    // A rendered page without curves says why in #curves-note: fail with that text, not a timeout.
    const note = page.locator("#curves-note");
    expect((await note.count()) ? await note.textContent() : null).toBeNull();
    await page.waitForSelector("#curves .uplot canvas");
    const table = await page.$eval(`#curves figure[data-title="epoch.loss"] table.curve-points`, (t) => ({
      head: [...t.querySelectorAll("thead th")].map((th) => th.textContent),
      rows: [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent)),
    }));
    const col = table.head.indexOf("epoch.loss");
    expect(table.rows.map((r) => [r[0], r[col]])).toEqual(
      metrics.map((m) => [String(m.step ?? 0), shown(m.value)]),
    );
    const link = page.locator("#reports a");
    expect(await link.textContent()).toBe("checks/drift.html");
    const res = await fetch(`${url}${await link.getAttribute("href")}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toMatch(/(^|; )sandbox allow-scripts(;|$)/);
    expect(await res.text()).toContain("Drift here");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a read-only UI offers no action and refuses one: MLflow's alias does not move", async () => {
    const before = await champion();
    const ro = await createUiApp(store, { readOnly: true });
    const roUrl = (await ro.app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
    try {
      const page = await browser.newPage();
      await page.goto(`${roUrl}/#/model/penguins`);
      await page.waitForSelector("main[data-ready]");
      expect(await page.$$("main button")).toHaveLength(0);
      await page.close();
      const refused = await fetch(`${roUrl}/api/models/penguins/2/approve`, {
        method: "POST",
        headers: { "content-type": "application/json", [CSRF_HEADER]: ro.csrfToken },
        body: "{}",
      });
      expect(refused.status).toBe(403);
      expect(await champion()).toBe(before);
    } finally {
      await ro.app.close();
    }
  });

  test("approve, roll back and promote in the page move MLflow's champion alias", async () => {
    expect(await champion()).toBeNull();
    const { page, errors } = await open("/model/penguins");
    const { act } = pageActions(page, errors, champion);
    await act("Approve v1", 1);
    await act("Approve v2", 2);
    const approved = await rest<{ model_version: { tags?: Array<{ key: string; value: string }> } }>(
      "model-versions/get?name=penguins&version=2",
    );
    expect(kv(approved.model_version.tags)["lolpop.approved_by"]).toBe("tester");
    await act("Roll back penguins", 1);
    await act("Promote v2", 2);
    const byAlias = await rest<{ model_version: { version: string } }>(
      "registered-models/alias?name=penguins&alias=champion",
    );
    expect(byAlias.model_version.version).toBe("2");
    // The page shows the move history the repository keeps in MLflow.
    await page.reload();
    await page.waitForSelector("main[data-ready]");
    const history = await tableAfter(page, "Promotion history");
    expect(history.map((h) => `${h[2]}->${h[3]}`)).toEqual(["none->v1", "v1->v2", "v2->v1", "v1->v2"]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a run name and param value with markup, as MLflow stores them, render as text", async () => {
    const HOSTILE = `<img src=x onerror="window.__pwned=1">`;
    const run = await store.tracker!.start_run({ name: HOSTILE, tags: { "lolpop.stage": "train" } });
    await store.tracker!.log_params(run.id, { note: HOSTILE });
    await store.tracker!.end_run(run.id, "FINISHED");
    const stored = (await mlflowRuns()).find((r) => r.info.run_id === run.id)!;
    expect(stored.info.run_name).toBe(HOSTILE);
    const { page, errors } = await open("/runs");
    expect(
      await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => tr.children[1]!.textContent)),
    ).toContain(HOSTILE);
    await page.goto(`${url}/#/run/${encodeURIComponent(run.id)}`);
    await page.waitForSelector("main[data-ready]");
    expect(Object.fromEntries(await tableAfter(page, "Params"))).toEqual({ note: HOSTILE });
    expect(await page.$$("main img")).toHaveLength(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });

  test(
    "`lolpop ui` (the plugin command) in a project on MLflow serves MLflow's runs and models",
    async () => {
      const ui = await startUiCommand(dir);
      let code: number | null;
      try {
        const { base } = ui;
        expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const { runs } = (await (await fetch(`${base}/api/runs?limit=100`)).json()) as {
          runs: Array<{ id: string }>;
        };
        expect(runs.map((r) => r.id).sort()).toEqual((await mlflowRuns()).map((r) => r.info.run_id).sort());
        const { models } = (await (await fetch(`${base}/api/models`)).json()) as {
          models: Array<{ name: string }>;
        };
        expect(models.map((m) => m.name)).toEqual(["penguins"]);
      } finally {
        code = await ui.stop();
      }
      expect(code).toBe(0);
    },
    SLOW,
  );
});
