// Hostile *data*: the penguins data with its feature columns renamed to markup, quotes, a very
// long name and terminal control characters, trained for real (two tiny random forests, the second
// approved by hand) and shown by lolpop ui in headless Chromium. Every place a column name reaches
// (the API, the run's data section, the version's feature importance chart and its tooltips) shows
// it as text; no page it reaches (run, version, compare, lineage) gets an element or a script
// from it, and none logs a console error. The second version, approved but kept out by the deploy
// policy, says so on its page instead of "aliases: none".
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProjectStore } from "@lolpop/cli";
import type { FastifyInstance } from "fastify";
import { type Browser, chromium, type Page } from "playwright-core";
import { editCsv, penguinsYaml } from "../../../tests/penguins.js";
import { createUiApp } from "../src/index.js";
import { chromiumPath, linkedProject, lolpop, openPage, shown } from "./ui-harness.js";

const SLOW = 240_000;

/** The quickstart's feature columns and the names they get. */
const RENAMED: Record<string, string> = {
  beak_length_mm: `<img src=x onerror="window.__pwned=1">`,
  island: `</script><script>window.__pwned=2</script>`,
  beak_depth_mm: `Bob's "beak" & <b>depth</b>`,
  flipper_length_mm: `flipper ${"very ".repeat(40)}long`,
  body_mass_g: "\u001b[31mbody mass\u0007",
};
const NAMES = Object.values(RENAMED);
const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
/** A bar label as the chart clips it (30 characters). */
const clipped = (s: string) => (s.length > 30 ? `${s.slice(0, 29)}…` : s);

describe("lolpop ui with hostile data column names", () => {
  let dir: string;
  let store: ProjectStore;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let approveSaid: string;
  const cwd = process.cwd();

  beforeAll(async () => {
    const executablePath = chromiumPath();
    dir = linkedProject("lolpop-ui-hostile-");
    for (const file of ["train.csv", "new.csv", "new_truth.csv"])
      editCsv(dir, file, ([header, ...rows]) => [
        header!
          .split(",")
          .map((c) => csvCell(RENAMED[c] ?? c))
          .join(","),
        ...rows,
      ]);
    // v1: a small forest, promoted by the automatic policy.
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ trees: 3, depth: 3, seed: 7, noPredict: true }));
    lolpop(dir, ["run", "--step", "deploy"]);
    // v2: a one-split stump with manual approval; approved, the policy keeps v1 (it does not beat it).
    writeFileSync(
      join(dir, "lolpop.yaml"),
      penguinsYaml({
        trees: 1,
        depth: 1,
        seed: 7,
        noPredict: true,
        deployConfig: ["approval: manual", "require_beat_champion: true", "require_beat_baseline: true"],
      }),
    );
    lolpop(dir, ["run", "--step", "deploy"]);
    approveSaid = lolpop(dir, ["models", "approve", "penguins", "2", "--by", "alice"]);
    process.chdir(dir);
    const { openStore } = await import("@lolpop/cli");
    store = await openStore(join(dir, "lolpop.yaml"));
    ({ app } = await createUiApp(store, { user: "tester" }));
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

  /** Nothing of the names became markup or ran: no img, no b, only the app's own script, no error. */
  async function expectInert(page: Page, errors: string[]): Promise<void> {
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.$$("img")).toHaveLength(0);
    expect(await page.$$("main b")).toHaveLength(0);
    const scripts = await page.$$eval("script", (ss) =>
      ss.map((s) => (s as unknown as { src: string }).src.replace(/^https?:\/\/[^/]+/, "")),
    );
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) expect(src).toMatch(/^\/assets\//);
    expect(errors).toEqual([]);
  }

  /** The version's training run (the child of its workflow run that logged the data). */
  async function trainRun(version: number): Promise<string> {
    return (await store.repo.get_model_version("penguins", version)).run_id!;
  }

  test("the API returns the column names intact (run data schema, feature importance)", async () => {
    const run = (await (await fetch(`${url}/api/runs/${encodeURIComponent(await trainRun(1))}`)).json()) as {
      run: { datasets: Array<{ schema?: Array<{ name: string }> }> };
    };
    const columns = run.run.datasets.flatMap((d) => (d.schema ?? []).map((c) => c.name));
    for (const name of NAMES) expect(columns).toContain(name);
    const insights = (await (await fetch(`${url}/api/models/penguins/1/insights`)).json()) as {
      importance: { values: Array<{ feature: string }> };
    };
    const features = insights.importance.values.map((v) => v.feature);
    for (const name of NAMES.filter((n) => n !== RENAMED.island)) expect(features).toContain(name);
    // The categorical column is one-hot encoded: `<name>=<level>`.
    expect(features).toContain(`${RENAMED.island}=Biscoe`);
  });

  test(
    "the version page's feature importance shows each name as text: clipped label, full tooltip",
    async () => {
      const insights = (await (await fetch(`${url}/api/models/penguins/1/insights`)).json()) as {
        importance: { values: Array<{ feature: string; value: number }> };
      };
      const { page, errors } = await open("/version/penguins/1");
      const bars = await page.$$eval("#importance g.bar", (gs) =>
        gs.map((g) => ({
          label: g.querySelector(".label")!.textContent,
          title: g.querySelector("title")!.textContent,
        })),
      );
      expect(bars).toEqual(
        insights.importance.values.map((f) => ({
          label: clipped(f.feature),
          title: `${f.feature}: ${shown(f.value)}`,
        })),
      );
      for (const name of NAMES) expect(bars.some((b) => b.title!.startsWith(name))).toBe(true);
      // The long name fits left of its bar: its label ends before the bar starts.
      const long = RENAMED.flipper_length_mm!;
      const fits = await page.$$eval("#importance g.bar", (gs) =>
        gs.map((g) => {
          const label = g.querySelector(".label")!.getBoundingClientRect();
          const bar = g.querySelector("rect")!.getBoundingClientRect();
          return `${g.querySelector(".label")!.textContent}: ${label.right <= bar.left ? "fits" : `${label.right} > ${bar.left}`}`;
        }),
      );
      expect(fits).toEqual(bars.map((b) => `${b.label}: fits`));
      expect(bars.map((b) => b.label)).toContain(`${long.slice(0, 29)}…`);
      await expectInert(page, errors);
      await page.close();
    },
    SLOW,
  );

  test("the run page lists the data's columns as text", async () => {
    const id = await trainRun(1);
    const { run: rec } = (await (await fetch(`${url}/api/runs/${encodeURIComponent(id)}`)).json()) as {
      run: { datasets: Array<{ schema?: Array<{ name: string }> }> };
    };
    const { page, errors } = await open(`/run/${encodeURIComponent(id)}`);
    const shownCols = await page.$$eval("#datasets tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("code.col")].map((c) => c.textContent)),
    );
    expect(shownCols).toEqual(rec.datasets.map((d) => (d.schema ?? []).map((c) => c.name)));
    for (const name of NAMES) expect(shownCols.flat()).toContain(name);
    const text = await page.locator("main").textContent();
    for (const name of NAMES) expect(text).toContain(name);
    await expectInert(page, errors);
    await page.close();
  });

  test("compare and lineage pages of the runs trained on the data stay inert", async () => {
    const ids = [await trainRun(1), await trainRun(2)];
    const { page, errors } = await open(`/compare/${ids.join(",")}`);
    expect(await page.$$("#compare tbody tr.differs")).not.toHaveLength(0);
    await expectInert(page, errors);
    await page.goto(`${url}/#/lineage/penguins/1`);
    await page.waitForSelector("main[data-ready] #lineage g.node");
    expect(await page.$$('#lineage g.node[data-kind="data"]')).not.toHaveLength(0);
    await expectInert(page, errors);
    await page.close();
  });

  test("an approved version the deploy policy did not promote says so, not `aliases: none`", async () => {
    // The CLI's answer: approved, not promoted (the stump does not beat the champion v1).
    expect(approveSaid).toMatch(/penguins v2 approved by alice; not promoted: /);
    expect((await store.repo.get_alias("penguins", "champion"))?.version).toBe(1);
    const { page, errors } = await open("/version/penguins/2");
    expect(await page.locator("#version-status").textContent()).toMatch(
      /^approved, not promoted \(champion: v1\): the deploy policy did not promote it; Promote on the model page makes it the champion$/,
    );
    await page.goto(`${url}/#/version/penguins/1`);
    await page.waitForSelector("main[data-ready]");
    expect(await page.locator("#version-status").textContent()).toBe("champion · approved: yes");
    await page.goto(`${url}/#/model/penguins`);
    await page.waitForSelector("main[data-ready]");
    const aliases = await page.$$eval("main table:first-of-type tbody tr", (trs) =>
      trs.map((tr) => `${tr.children[0]!.textContent} ${tr.children[2]!.textContent}`),
    );
    expect(aliases).toEqual(["v1 champion", "v2 approved, not promoted"]);
    // The "Test metrics" column holds the test split's metrics only.
    const versions = await store.repo.list_versions("penguins");
    const testMetrics = await page.$$eval("main table:first-of-type tbody tr", (trs) =>
      trs.map((tr) => tr.children[4]!.textContent),
    );
    expect(testMetrics).toEqual(
      versions.map((v) =>
        Object.entries(v.metrics)
          .filter(([k]) => k.startsWith("test."))
          .map(([k, x]) => `${k}=${shown(x)}`)
          .join(" "),
      ),
    );
    expect(testMetrics[0]).toMatch(/test\.f1_macro=/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
