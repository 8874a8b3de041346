// lolpop ui against a real store: the penguins quickstart trained twice with manual approval and an
// Evidently data checker (random forests), and once with a tiny TensorFlow.js network (a few
// epochs, its own model) into the same local store, read through the app's JSON API and in
// headless Chromium (Debian's chromium driven by playwright-core). Checks the numbers against the
// store's contracts, the compare diff, the actions (approve, rollback) moving the alias, CSRF and
// --read-only refusals, that a hostile run name or param renders as text, the feature importance
// and training curves of a version, its sandboxed report, and the lineage and workflow graphs.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProjectStore } from "@lolpop/cli";
import type { FastifyInstance } from "fastify";
import { type Browser, chromium } from "playwright-core";
import { penguinsYaml } from "../../../tests/penguins.js";
import { CSRF_HEADER, createUiApp } from "../src/index.js";
import {
  chromiumPath,
  linkedProject,
  lolpop,
  openPage,
  pageActions,
  shown,
  startUiCommand,
  until,
} from "./ui-harness.js";

const SLOW = 240_000;
const HOSTILE = `<img src=x onerror="window.__pwned=1">`;

/** The penguins config with a 4-epoch TensorFlow.js network (cpu backend) as model `penguins_nn`. */
function nnYaml(): string {
  const yaml = penguinsYaml({ seed: 7, noPredict: true, deployConfig: [] })
    .replace("model_name: penguins\n", "model_name: penguins_nn\n")
    .replace("model_trainer: RandomForestModelTrainer", "model_trainer: TfjsModelTrainer");
  const at = yaml.indexOf("  model_trainer:\n    config:");
  const end = yaml.indexOf("\n", yaml.indexOf("max_depth:", at));
  expect(at).toBeGreaterThan(0);
  return `${yaml.slice(0, at)}${[
    "  model_trainer:",
    "    config:",
    "      backend: cpu",
    "      training_params:",
    "        layers: [{ units: 8, activation: relu }]",
    "        epochs: 4",
    "        batch_size: 32",
    "        early_stopping: false",
  ].join("\n")}${yaml.slice(end)}`;
}

describe("lolpop ui on the penguins quickstart", () => {
  let dir: string;
  let store: ProjectStore;
  let app: FastifyInstance;
  let token: string;
  let url: string;
  let browser: Browser;
  let hostileRun: string;
  const cwd = process.cwd();

  beforeAll(async () => {
    const executablePath = chromiumPath();
    dir = linkedProject();
    // Manual approval: a trained version waits for `approve`.
    for (const [trees, depth] of [
      [1, 1],
      [20, 6],
    ] as const) {
      writeFileSync(
        join(dir, "lolpop.yaml"),
        penguinsYaml({
          trees,
          depth,
          seed: 7,
          components: ["data_checker: EvidentlyDataChecker"],
          deployConfig: [
            "approval: manual",
            "require_beat_champion: true",
            "on_champion_unscorable: replace",
          ],
        }),
      );
      lolpop(dir, ["run", "--step", "deploy"]);
    }
    // A prediction job of v2 (lineage: version -> predictions).
    lolpop(dir, ["predict", "-i", "data/new.csv", "-o", "predictions/v2.csv", "-m", "penguins/2"]);
    // A small network into the same store (model penguins_nn): per-epoch metrics in the tracker.
    writeFileSync(join(dir, "nn.yaml"), nnYaml());
    lolpop(dir, ["run", "nn.yaml", "--step", "train"]);
    process.chdir(dir);
    const { openStore } = await import("@lolpop/cli");
    store = await openStore(join(dir, "lolpop.yaml"));
    // A run whose name and param key are markup: the page must show them as text.
    const run = await store.tracker!.start_run({ name: HOSTILE, tags: { "lolpop.stage": "train" } });
    await store.tracker!.log_params(run.id, { [HOSTILE]: HOSTILE });
    await store.tracker!.log_metrics(run.id, { "test.f1_macro": 0.5 });
    await store.tracker!.end_run(run.id, "FINISHED");
    hostileRun = run.id;
    ({ app, csrfToken: token } = await createUiApp(store, { user: "tester" }));
    url = (await app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
    browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    process.chdir(cwd);
  });

  const open = (hash: string) => openPage(browser, url, hash);

  test("the runs page lists the tracker's runs, hostile names as text, no console error", async () => {
    const runs = await store.tracker!.search_runs({ limit: 100 });
    const { page, errors } = await open("/runs");
    const rows = await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => tr.children[1]!.textContent));
    expect(rows).toEqual(runs.map((r) => r.name || r.id));
    expect(rows).toContain(HOSTILE);
    expect(await page.$$("main img")).toHaveLength(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    await page.goto(`${url}/#/run/${encodeURIComponent(hostileRun)}`);
    await page.waitForSelector("main[data-ready]");
    expect(await page.locator("main").textContent()).toContain(HOSTILE);
    expect(await page.$$("main img")).toHaveLength(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the runs page filters by pipeline and by start date as the tracker does", async () => {
    const train = await store.tracker!.search_runs({ tags: { "lolpop.stage": "train" }, limit: 100 });
    expect(train.length).toBeGreaterThan(1);
    const { page, errors } = await open("/runs?pipeline=train");
    // The count the toolbar shows and the names in the table (no toolbar: the page shows an error).
    const shown = async () => {
      const count = await page
        .locator(".toolbar > span")
        .textContent({ timeout: 1000 })
        .catch(() => "none");
      const names = await page.$$eval("#runs tbody tr", (trs) =>
        trs.map((tr) => tr.children[1]!.textContent),
      );
      return `${count}: ${names.join("|")}`;
    };
    const all = `${train.length} runs: ${train.map((r) => r.name || r.id).join("|")}`;
    expect(await shown()).toBe(all);
    // From tomorrow (UTC, as the API reads a date): nothing; from the day of the first run: all of them.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    await page.fill('input[aria-label="started from"]', day(Date.now() + 86_400_000));
    await until(shown, "0 runs: ");
    const first = Math.min(...train.map((r) => Date.parse(r.started_at)));
    await page.fill('input[aria-label="started from"]', day(first));
    await until(shown, all);
    // Only until the day before the first run: nothing again.
    await page.fill('input[aria-label="started from"]', "");
    await page.fill('input[aria-label="started until"]', day(first - 86_400_000));
    await until(shown, "0 runs: ");
    expect(page.url()).toMatch(/pipeline=train/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the runs page shows the train runs' test metrics as columns, sorted by a click on the header", async () => {
    const train = await store.tracker!.search_runs({ tags: { "lolpop.stage": "train" }, limit: 100 });
    const records = await Promise.all(train.map((r) => store.tracker!.get_run(r.id)));
    const { page, errors } = await open("/runs?pipeline=train");
    const header = await page.$$eval("#runs thead th", (ths) => ths.map((th) => th.textContent ?? ""));
    const metricCols = header.slice(7);
    expect(metricCols.length).toBeGreaterThan(0);
    expect(metricCols[0]).toMatch(/^test\./);
    const key = metricCols[0]!;
    const cells = () =>
      page.$$eval("#runs tbody tr", (trs) =>
        trs.map((tr) => `${tr.children[1]!.textContent}=${tr.children[7]!.textContent}`),
      );
    const show = (v: number | undefined) =>
      v === undefined ? "" : Number.isInteger(v) ? String(v) : v.toFixed(4);
    // Newest first, each run's value as the tracker has it.
    expect(await cells()).toEqual(records.map((r) => `${r.name || r.id}=${show(r.metrics[key])}`));
    // One click: ascending; two: descending (runs without the metric last both times).
    const order = (desc: boolean) =>
      [...records]
        .sort((a, b) => {
          const x = a.metrics[key];
          const y = b.metrics[key];
          if (x === undefined || y === undefined)
            return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0);
          return desc ? y - x : x - y;
        })
        .map((r) => `${r.name || r.id}=${show(r.metrics[key])}`);
    await page.click(`#runs thead th:nth-child(8) a`);
    await until(async () => (await cells()).join("|"), order(false).join("|"));
    expect(await page.locator("#runs thead th:nth-child(8)").textContent()).toBe(`${key} \u25b2`);
    await page.click(`#runs thead th:nth-child(8) a`);
    await until(async () => (await cells()).join("|"), order(true).join("|"));
    expect(page.url()).toContain(`sort=-metric%3A${key}`);
    const bad = await fetch(`${url}/api/runs?sort=metric:`);
    expect(bad.status).toBe(400);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a workflow run's page shows metrics per split with baseline and champion, and its component calls", async () => {
    const [wf] = await store.tracker!.search_runs({
      tags: { "lolpop.stage": "workflow" },
      status: "FINISHED",
      limit: 1,
    });
    const lineage = JSON.parse(
      new TextDecoder().decode(await store.tracker!.read_artifact!(wf!.id, "lineage.json")),
    ) as { timings: Array<{ path: string; ms: number; ok: boolean }> };
    const counts = new Map<string, number>();
    for (const t of lineage.timings) counts.set(t.path, (counts.get(t.path) ?? 0) + 1);
    expect(counts.size).toBeGreaterThan(3);
    const { page, errors } = await open(`/run/${encodeURIComponent(wf!.id)}`);
    const calls = await page.$$eval("#calls tbody tr", (trs) =>
      trs.map((tr) => `${tr.children[0]!.textContent} x${tr.children[1]!.textContent}`),
    );
    expect(calls).toEqual([...counts].map(([path, n]) => `${path} x${n}`));
    // The train run's test metrics (merged into the workflow run's view) with the baseline's.
    const train = (await store.tracker!.search_runs({ parent_id: wf!.id })).find(
      (r) => r.tags["lolpop.stage"] === "train",
    );
    const metrics = (await store.tracker!.get_run(train!.id)).metrics;
    const row = await page.$$eval("#split-metrics tbody tr", (trs) =>
      trs
        .map((tr) => [...tr.children].map((td) => td.textContent))
        .find((cells) => cells[0] === "f1_macro" && cells[1] === "test"),
    );
    // As the page formats numbers: whole ones as they are, others with 4 decimals.
    const cell = (v: number | undefined) =>
      v === undefined ? "" : Number.isInteger(v) ? String(v) : v.toFixed(4);
    expect(row).toEqual([
      "f1_macro",
      "test",
      cell(metrics["test.f1_macro"]),
      cell(metrics["baseline.test.f1_macro"]),
      cell(metrics["champion.test.f1_macro"]),
    ]);
    expect(row![2]).not.toBe("");
    // The log `lolpop run` kept with the workflow run (log.jsonl), as text.
    const logged = new TextDecoder()
      .decode(await store.tracker!.read_artifact!(wf!.id, "log.jsonl"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logged.length).toBeGreaterThan(0);
    const shownLog = await page.$$eval("#log tbody tr", (trs) =>
      trs.map((tr) => `${tr.children[1]!.textContent} ${tr.children[2]!.textContent}`),
    );
    expect(shownLog).toEqual(logged.map((r) => `${r.level} ${r.msg}`));
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the runs page refreshes while a run is RUNNING and shows it FINISHED once it ends", async () => {
    const run = await store.tracker!.start_run({ name: "live-run" });
    const { page, errors } = await open("/runs");
    const status = () =>
      page.$eval(`#runs tbody tr:has(a:text-is("live-run")) td:nth-child(3)`, (td) => td.textContent);
    expect(await status()).toBe("RUNNING");
    await store.tracker!.end_run(run.id, "FINISHED");
    // The page polls every 2 s while a run is RUNNING (no reload here).
    await until(status, "FINISHED");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("compare shows the params and metrics of two training runs with differences highlighted", async () => {
    const train = await store.tracker!.search_runs({ tags: { "lolpop.stage": "train" }, status: "FINISHED" });
    const forests = (await Promise.all(train.map((r) => store.tracker!.get_run(r.id)))).filter(
      (r) => r.params.n_estimators !== undefined,
    );
    const ids = forests
      .filter((r) => r.id !== hostileRun)
      .map((r) => r.id)
      .slice(0, 2);
    expect(ids).toHaveLength(2);
    const recs = await Promise.all(ids.map((id) => store.tracker!.get_run(id)));
    const { page, errors } = await open(`/compare/${ids.join(",")}`);
    const row = async (key: string) =>
      page.$eval(`#compare tbody tr:has(td:nth-child(2):text-is("${key}"))`, (tr) => ({
        cells: [...tr.children].slice(2).map((td) => td.textContent),
        differs: tr.classList.contains("differs"),
      }));
    const trees = await row("n_estimators");
    expect(trees.cells).toEqual(recs.map((r) => String(r.params.n_estimators)));
    expect(trees.differs).toBe(true);
    const f1 = await row("test.f1_macro");
    expect(f1.cells).toEqual(recs.map((r) => shown(r.metrics["test.f1_macro"]!)));
    // Each run's column is told apart by its id even when the names are the same.
    const heads = await page.$$eval("#compare thead th", (ths) =>
      ths.slice(2).map((th) => th.textContent ?? ""),
    );
    expect(heads).toHaveLength(2);
    expect(new Set(heads).size).toBe(2);
    heads.forEach((h, i) => expect(h.endsWith(ids[i]!.slice(-8))).toBe(true));
    expect(await page.$$("main svg rect")).not.toHaveLength(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("models and version pages show the repository's versions and metrics", async () => {
    const versions = await store.repo.list_versions("penguins");
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    const { page, errors } = await open("/models");
    expect(await page.$$eval("main tbody tr", (trs) => trs.map((tr) => tr.textContent))).toEqual([
      "penguins2nonev2",
      "penguins_nn1nonev1",
    ]);
    await page.goto(`${url}/#/version/penguins/2`);
    await page.waitForSelector("main[data-ready]");
    const cells = await page.$$eval("main table:first-of-type tbody tr", (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)),
    );
    expect(cells).toEqual(Object.entries(versions[1]!.metrics).map(([k, v]) => [k, shown(v)]));
    await page.goto(`${url}/#/graph`);
    await page.waitForSelector("main[data-ready]");
    expect(await page.locator("main").textContent()).toMatch(/RandomForestTrainer|random-forest/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("approve in the page (confirmed) makes v1 then v2 champion; rollback moves it back to v1", async () => {
    const { page, errors } = await open("/model/penguins");
    const champion = async () => (await store.repo.get_alias("penguins", "champion"))?.version ?? null;
    const { act } = pageActions(page, errors, champion);
    await act("Approve v1", 1);
    await act("Approve v2", 2);
    expect((await store.repo.get_model_version("penguins", 2)).tags["lolpop.approved_by"]).toBe("tester");
    await act("Roll back penguins", 1);
    const history = await store.repo.get_promotion_history!("penguins");
    expect(history.at(-1)).toMatchObject({ alias: "champion", version: 1, previous: 2 });
    expect(errors).toEqual([]);
    await page.close();
  });

  test("an action without the CSRF token is 403 and moves nothing; a read-only app refuses actions", async () => {
    const before = (await store.repo.get_alias("penguins", "champion"))?.version;
    const post = (base: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/api/models/penguins/2/promote`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: "{}",
      });
    expect((await post(url)).status).toBe(403);
    expect((await post(url, { [CSRF_HEADER]: "0".repeat(token.length) })).status).toBe(403);
    expect((await store.repo.get_alias("penguins", "champion"))?.version).toBe(before);
    const ro = await createUiApp(store, { readOnly: true });
    const roUrl = (await ro.app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
    const refused = await post(roUrl, { [CSRF_HEADER]: ro.csrfToken });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toMatch(/read-only/);
    expect((await store.repo.get_alias("penguins", "champion"))?.version).toBe(before);
    await ro.app.close();
  });

  test(
    "`lolpop ui --read-only` (the plugin command) serves the page on 127.0.0.1 and refuses actions",
    async () => {
      expect(lolpop(dir, ["ui", "--help"])).toContain("--read-only");
      const ui = await startUiCommand(dir);
      let code: number | null;
      try {
        const { base } = ui;
        expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const page = await (await fetch(`${base}/`)).text();
        const sent = /name="lolpop-csrf" content="([0-9a-f]{64})"/.exec(page)?.[1];
        expect(sent).toBeDefined();
        const models = (await (await fetch(`${base}/api/models`)).json()) as {
          models: Array<{ name: string }>;
        };
        expect(models.models.map((m) => m.name)).toEqual(["penguins", "penguins_nn"]);
        const refused = await fetch(`${base}/api/models/penguins/2/promote`, {
          method: "POST",
          headers: { "content-type": "application/json", [CSRF_HEADER]: sent! },
          body: "{}",
        });
        expect(refused.status).toBe(403);
      } finally {
        code = await ui.stop();
      }
      expect(code).toBe(0);
    },
    SLOW,
  );
  test("the version page charts the trainer's feature importance as stored with the model", async () => {
    const dirOf = await store.repo.download_model("penguins", 2);
    const saved = JSON.parse(readFileSync(join(dirOf, "model", "model.json"), "utf8")) as {
      feature_importance: Record<string, number>;
    };
    const want = Object.entries(saved.feature_importance)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, shown(v)]);
    expect(want.length).toBeGreaterThan(3);
    const { page, errors } = await open("/version/penguins/2");
    const bars = await page.$$eval("#importance g.bar", (gs) =>
      gs.map((g) => [g.querySelector(".label")!.textContent, g.querySelector(".value")!.textContent]),
    );
    expect(bars).toEqual(want);
    // A network records none: the page says so.
    await page.goto(`${url}/#/version/penguins_nn/1`);
    await page.waitForSelector("main[data-ready]");
    expect(await page.locator("#importance-note").textContent()).toMatch(
      /TfjsModelTrainer records no feature importance/,
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  test("training curves of the network show the per-epoch history its run logged", async () => {
    const mv = await store.repo.get_model_version("penguins_nn", 1);
    // TfjsModelTrainer logs epoch.loss, epoch.val_loss... at steps 1..epochs.
    const loss = await store.tracker!.get_metric_history!(mv.run_id!, "epoch.loss");
    expect(loss.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    const { page, errors } = await open("/version/penguins_nn/1");
    await page.waitForSelector("#curves .uplot canvas"); // uPlot is its own chunk, loaded with the chart
    const table = await page.$eval(`#curves figure[data-title="epoch.loss"] table.curve-points`, (t) => ({
      head: [...t.querySelectorAll("thead th")].map((th) => th.textContent),
      rows: [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent)),
    }));
    const col = table.head.indexOf("epoch.loss");
    expect(col).toBeGreaterThan(0);
    expect(table.rows.map((r) => [r[0], r[col]])).toEqual(loss.map((p) => [String(p.step), shown(p.value)]));
    // A chart is titled by what it draws: validation accuracy alone (no training accuracy logged)
    // is "epoch.val_accuracy", not its group's "epoch.accuracy".
    expect(await store.tracker!.get_metric_history!(mv.run_id!, "epoch.accuracy")).toEqual([]);
    expect(await store.tracker!.get_metric_history!(mv.run_id!, "epoch.val_accuracy")).toHaveLength(4);
    const titles = await page.$$eval("#curves figure", (fs) => fs.map((f) => f.getAttribute("data-title")));
    expect(titles).toContain("epoch.val_accuracy");
    expect(titles).not.toContain("epoch.accuracy");
    // The random forest logs no curve: the page says so.
    await page.goto(`${url}/#/version/penguins/2`);
    await page.waitForSelector("main[data-ready]");
    expect(await page.locator("#curves-note").textContent()).toMatch(/no per-step metrics/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the version's data check report opens sandboxed: its scripts cannot reach the UI", async () => {
    const { page, errors } = await open("/version/penguins/2");
    const links = page.locator("#reports a");
    expect(await links.count()).toBeGreaterThan(0);
    const href = (await links.first().getAttribute("href"))!;
    expect(href).toMatch(/^\/reports\/.+\.evidently\.html$/);
    const res = await fetch(`${url}${href}`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/(^|; )sandbox allow-scripts(;|$)/);
    expect(csp).not.toMatch(/allow-same-origin/);
    const [popup] = await Promise.all([page.waitForEvent("popup"), links.first().click()]);
    await popup.waitForLoadState();
    expect(await popup.locator("body").textContent()).toMatch(/drift|Drift|column/);
    expect(await popup.evaluate(() => (globalThis as unknown as { origin: string }).origin)).toBe("null");
    expect(
      await popup.evaluate(() =>
        fetch("/api/info").then(
          () => "read",
          () => "blocked",
        ),
      ),
    ).toBe("blocked");
    await popup.close();
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the lineage graph links data, runs and the version left to right; a node click navigates", async () => {
    const { lineageOf } = await import("@lolpop/cli");
    const l = await lineageOf(store, { name: "penguins", version: 2 });
    const { page, errors } = await open("/lineage/penguins/2");
    const nodes = await page.$$eval("#lineage g.node", (gs) =>
      gs.map((g) => ({ id: g.getAttribute("data-node"), kind: g.getAttribute("data-kind") })),
    );
    const data = [...new Set(l.data.map((d) => `data:${d.fingerprint}:${d.name}`))];
    expect(data.length).toBeGreaterThan(0);
    expect(nodes).toEqual([
      ...data.map((id) => ({ id, kind: "data" })),
      ...l.runs.map((r) => ({ id: `run:${r.id}`, kind: "run" })),
      { id: "model:penguins:2", kind: "model" },
      ...l.prediction_jobs.map((j) => ({ id: `predictions:${j.id}`, kind: "predictions" })),
    ]);
    expect(l.prediction_jobs).toHaveLength(1);
    const edges = await page.$$eval("#lineage path.edge", (ps) =>
      ps.map((p) => `${p.getAttribute("data-from")} -> ${p.getAttribute("data-to")}`),
    );
    expect(edges).toEqual([
      ...l.data.map((d) => `data:${d.fingerprint}:${d.name} -> run:${d.run_id}`),
      ...l.runs.slice(1).map((r, i) => `run:${l.runs[i]!.id} -> run:${r.id}`),
      `run:${l.model.run_id} -> model:penguins:2`,
      `model:penguins:2 -> predictions:${l.prediction_jobs[0]!.id}`,
    ]);
    // Left to right: data, then runs, then the version.
    const x = (id: string) =>
      page.$eval(`#lineage g.node[data-node="${id}"]`, (g) => g.getBoundingClientRect().x);
    expect(await x(data[0]!)).toBeLessThan(await x(`run:${l.runs[0]!.id}`));
    expect(await x(`run:${l.runs.at(-1)!.id}`)).toBeLessThan(await x("model:penguins:2"));
    expect(await x("model:penguins:2")).toBeLessThan(await x(`predictions:${l.prediction_jobs[0]!.id}`));
    await page.click('#lineage g.node[data-node="model:penguins:2"]');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { location: { hash: string } }).location.hash === "#/version/penguins/2",
    );
    await page.waitForSelector("main[data-ready] #importance");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the workflow graph shows runner -> pipelines -> components with plugin and version", async () => {
    const plan = store.workflow.plan;
    const { page, errors } = await open("/graph");
    const node = (id: string) =>
      page.$eval(`#workflow g.node[data-node="${id}"]`, (g) => g.querySelector("title")!.textContent);
    for (const p of plan.pipelines) {
      expect(await node(`pipeline:${p.attr}`)).toContain(p.type);
      for (const c of p.components) {
        const text = await node(`component:${p.attr}.${c.attr}`);
        const version = plan.plugins.find((x) => x.name === c.registered.plugin)?.version;
        expect(text).toContain(`${c.attr}: ${c.type}`);
        expect(text).toContain(`${c.registered.plugin}${version ? ` ${version}` : ""}`);
      }
    }
    const edges = await page.$$eval("#workflow path.edge", (ps) =>
      ps.map((p) => `${p.getAttribute("data-from")} -> ${p.getAttribute("data-to")}`),
    );
    expect(edges).toContain("pipeline:train -> component:train.model_trainer");
    expect(edges).toContain("runner -> pipeline:process");
    expect(errors).toEqual([]);
    await page.close();
  });
});
