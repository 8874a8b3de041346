// lolpop ui against a real store: the penguins quickstart trained twice with manual approval (the
// local store), read through the app's JSON API and in headless Chromium (Debian's chromium driven
// by playwright-core). Checks the numbers against the store's contracts, the compare diff, the
// actions (approve, rollback) moving the alias, CSRF and --read-only refusals, and that a hostile
// run name or param renders as text.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProjectStore } from "@lolpop/cli";
import type { FastifyInstance } from "fastify";
import { type Browser, chromium, type Page } from "playwright-core";
import { penguinsYaml, writePenguinsData } from "../../../tests/penguins.js";
import { CSRF_HEADER, createUiApp } from "../src/index.js";

const SLOW = 240_000;
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(pkgDir, "..", "..");
/** A number as the page shows it: whole numbers as they are, others with 4 decimals. */
const shown = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));

/** Waits until `read()` gives `want` (an action's answer arrives after the click). */
async function until<T>(read: () => Promise<T>, want: T, said: string[] = []): Promise<void> {
  let got = await read();
  for (let i = 0; got !== want && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    got = await read();
  }
  expect({ got, said }).toEqual({ got: want, said });
}

const HOSTILE = `<img src=x onerror="window.__pwned=1">`;

function linkedProject(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "lolpop-ui-")));
  const deps: Record<string, string> = {};
  for (const name of [
    "@lolpop/cli",
    "@lolpop/core",
    "@lolpop/workflows",
    "@lolpop/local",
    "@lolpop/random-forest",
    "vega-datasets",
  ]) {
    const at = join(dir, "node_modules", name);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(realpathSync(join(pkgDir, "node_modules", name)), at);
    deps[name] = "*";
  }
  symlinkSync(pkgDir, join(dir, "node_modules", "@lolpop", "ui"));
  deps["@lolpop/ui"] = "*";
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "ui-project", private: true, type: "module", dependencies: deps }),
  );
  writePenguinsData(dir);
  return dir;
}

function lolpop(dir: string, args: string[]) {
  const r = spawnSync(
    process.execPath,
    [join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js"), ...args],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" },
      timeout: 300_000,
    },
  );
  if (r.status !== 0)
    throw new Error(`lolpop ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
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
    const chromiumPath = execFileSync(process.execPath, [join(repoRoot, "scripts", "chromium-setup.mjs")], {
      encoding: "utf8",
    }).trim();
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
          noPredict: true,
          deployConfig: [
            "approval: manual",
            "require_beat_champion: true",
            "on_champion_unscorable: replace",
          ],
        }),
      );
      lolpop(dir, ["run", "--step", "deploy"]);
    }
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
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    process.chdir(cwd);
  });

  async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${url}/#${hash}`);
    await page.waitForSelector("main[data-ready]");
    return { page, errors };
  }

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
    const ids = train
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
    const said: string[] = [];
    page.on("dialog", (d) => {
      said.push(d.message());
      return d.accept();
    });
    const champion = async () => (await store.repo.get_alias("penguins", "champion"))?.version ?? null;
    await page.getByRole("button", { name: "Approve v1" }).click();
    await until(champion, 1);
    await page.waitForSelector("main[data-ready]");
    await page.getByRole("button", { name: "Approve v2" }).click();
    await until(champion, 2, said);
    expect((await store.repo.get_model_version("penguins", 2)).tags["lolpop.approved_by"]).toBe("tester");
    await page.waitForSelector("main[data-ready]");
    await page.getByRole("button", { name: "Roll back penguins" }).click();
    await until(champion, 1);
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
      const proc = spawn(
        process.execPath,
        [join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js"), "ui", "--port", "0", "--read-only"],
        { cwd: dir, env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" } },
      );
      const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
      try {
        const base = await new Promise<string>((ok, fail) => {
          let err = "";
          proc.stderr!.on("data", (d) => {
            err += d;
            const m = /open (http:\/\/\S+)/.exec(err);
            if (m) ok(m[1]!.replace(/\/$/, ""));
          });
          exited.then((code) => fail(new Error(`lolpop ui exited ${code}:\n${err}`)));
        });
        expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const page = await (await fetch(`${base}/`)).text();
        const sent = /name="lolpop-csrf" content="([0-9a-f]{64})"/.exec(page)?.[1];
        expect(sent).toBeDefined();
        const models = (await (await fetch(`${base}/api/models`)).json()) as {
          models: Array<{ name: string }>;
        };
        expect(models.models.map((m) => m.name)).toEqual(["penguins"]);
        const refused = await fetch(`${base}/api/models/penguins/2/promote`, {
          method: "POST",
          headers: { "content-type": "application/json", [CSRF_HEADER]: sent! },
          body: "{}",
        });
        expect(refused.status).toBe(403);
      } finally {
        proc.kill("SIGTERM");
      }
      expect(await exited).toBe(0);
    },
    SLOW,
  );
});
