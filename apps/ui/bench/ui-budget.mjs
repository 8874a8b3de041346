#!/usr/bin/env node
// Budgets of lolpop ui: a local store with RUNS runs (default 1,000, written through the local
// tracker's API), the runs page opened in headless Chromium (Debian's chromium through
// playwright-core) and timed from navigation start to the rendered table (median of 5 cold page
// loads, each in a new browser context), for the default page (100 runs) and for all the runs;
// and the gzipped size of the page's shipped assets (Vite's build in dist/web: index.html and
// assets/*: Preact, uPlot and the page). The load average is printed with the figures.
// Budgets: first load < 1 s, assets < 300 kB gzipped. Exit 1 when one is exceeded.
// Usage: node bench/ui-budget.mjs [--runs N]   (needs `pnpm build`)
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const repoRoot = join(pkgDir, "..", "..");
const argRuns = process.argv.indexOf("--runs");
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 1000;

const LINKED = ["@lolpop/cli", "@lolpop/core", "@lolpop/workflows", "@lolpop/local", "@lolpop/random-forest"];
const dir = realpathSync(mkdtempSync(join(tmpdir(), "lolpop-ui-bench-")));
for (const name of LINKED) {
  const at = join(dir, "node_modules", name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(realpathSync(join(pkgDir, "node_modules", name)), at);
}
writeFileSync(
  join(dir, "package.json"),
  JSON.stringify({
    name: "ui-bench",
    private: true,
    type: "module",
    dependencies: Object.fromEntries(LINKED.map((n) => [n, "*"])),
  }),
);
copyFileSync(join(repoRoot, "examples", "quickstart", "penguins", "lolpop.yaml"), join(dir, "lolpop.yaml"));
const cwd = process.cwd();
process.chdir(dir);

const { openStore } = await import("@lolpop/cli");
const { createUiApp } = await import("../dist/index.js");
const store = await openStore(join(dir, "lolpop.yaml"));
const t = performance.now();
for (let i = 0; i < RUNS; i++) {
  const run = await store.tracker.start_run({
    name: `run-${i}`,
    tags: { "lolpop.stage": "train", model_name: "penguins" },
  });
  await store.tracker.log_params(run.id, { n_estimators: 10 + (i % 50), max_depth: 3 + (i % 6) });
  await store.tracker.log_metrics(run.id, {
    "test.f1_macro": 0.8 + (i % 20) / 100,
    "valid.f1_macro": 0.7 + (i % 30) / 100,
  });
  await store.tracker.end_run(run.id, i % 17 === 0 ? "FAILED" : "FINISHED");
}
const writeMs = performance.now() - t;
const { app } = await createUiApp(store, { readOnly: true });
const url = (await app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
const executablePath = execFileSync(process.execPath, [join(repoRoot, "scripts", "chromium-setup.mjs")], {
  encoding: "utf8",
}).trim();
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });

async function firstLoad(hash, rows) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/#${hash}`);
    await page.waitForFunction((n) => document.querySelectorAll("#runs tbody tr").length === n, rows);
    times.push(await page.evaluate(() => performance.now())); // ms since navigation start
    if (i === 0 && process.env.UI_BENCH_TRACE)
      console.log(
        await page.evaluate(() =>
          performance
            .getEntries()
            .map(
              (e) =>
                `${e.entryType} ${e.name.replace(location.origin, "")} ${e.startTime.toFixed(0)}-${(e.responseEnd ?? e.startTime + e.duration).toFixed(0)}`,
            )
            .join("\n"),
        ),
      );
    await context.close();
  }
  times.sort((a, b) => a - b);
  return times[2];
}

async function apiMs(path) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await (await fetch(`${url}/api/${path}`)).json();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[2];
}
const loadBefore = loadavg()[0].toFixed(2);
const api100 = await apiMs("runs?limit=100");
const apiAll = await apiMs(`runs?limit=${RUNS}`);
const page100 = await firstLoad("/runs", 100);
const pageAll = await firstLoad(`/runs?limit=${RUNS}`, RUNS);
await browser.close();
await app.close();
await store.close();
process.chdir(cwd);
rmSync(dir, { recursive: true, force: true });

const web = join(pkgDir, "dist", "web");
const assets = ["index.html", ...readdirSync(join(web, "assets")).map((f) => `assets/${f}`)].map((f) => {
  const raw = readFileSync(join(web, f));
  return { file: f, bytes: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
});
const gz = assets.reduce((s, a) => s + a.gzip, 0);
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(" ");
console.log(
  `load average: 1 min ${loadBefore} before the page loads; (1, 5, 15 min) ${load} after; ${availableParallelism()} cores`,
);
console.log(`store: ${RUNS} runs written through LocalMetadataTracker in ${(writeMs / 1000).toFixed(1)} s`);
console.log(
  `runs page first load (navigation start -> table rendered, median of 5): 100 rows ${page100.toFixed(0)} ms; ${RUNS} rows ${pageAll.toFixed(0)} ms (budget 1000 ms)`,
);
console.log(
  `GET /api/runs (median of 5): limit=100 ${api100.toFixed(0)} ms; limit=${RUNS} ${apiAll.toFixed(0)} ms`,
);
for (const a of assets) console.log(`  ${a.file}: ${a.bytes} B, ${a.gzip} B gzipped`);
console.log(`shipped page assets: ${(gz / 1024).toFixed(1)} kB gzipped (budget 300 kB)`);
if (page100 >= 1000 || gz >= 300 * 1024) process.exit(1);
