#!/usr/bin/env node
// Screenshots of every page of lolpop ui for the README (docs/*.png): the penguins quickstart with
// an Evidently data checker trained twice (a weak then a better forest, manual approval, each
// approved: v2 champion), v2 predicting once, and a small TensorFlow.js network (penguins_nn) for the training
// curves, in headless Chromium (Debian's chromium through playwright-core). Usage: node scripts/screenshots.mjs (needs `pnpm build`)
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(pkgDir, "..", "..");
const quickstart = join(repoRoot, "examples", "quickstart", "penguins");
const LINKED = [
  "@lolpop/cli",
  "@lolpop/core",
  "@lolpop/workflows",
  "@lolpop/local",
  "@lolpop/random-forest",
  "@lolpop/evidently",
  "@lolpop/tfjs",
  "vega-datasets",
];

const dir = realpathSync(mkdtempSync(join(tmpdir(), "lolpop-ui-shots-")));
for (const name of LINKED) {
  const at = join(dir, "node_modules", name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(realpathSync(join(pkgDir, "node_modules", name)), at);
}
writeFileSync(
  join(dir, "package.json"),
  JSON.stringify({
    name: "ui-shots",
    private: true,
    type: "module",
    dependencies: Object.fromEntries(LINKED.map((n) => [n, "*"])),
  }),
);
copyFileSync(join(quickstart, "prepare-data.mjs"), join(dir, "prepare-data.mjs"));
execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
const lolpop = (args) =>
  execFileSync(process.execPath, [join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js"), ...args], {
    cwd: dir,
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" },
    stdio: "pipe",
  });
const yaml = readFileSync(join(quickstart, "lolpop.yaml"), "utf8")
  .replace("approval: automatic", "approval: manual")
  .replace(
    "  notifier: StdoutNotifier\n",
    "  notifier: StdoutNotifier\n  data_checker: EvidentlyDataChecker\n",
  );
// Each version approved before the next is trained: v2 is then compared with the champion v1 at
// training time (its run logs the champion's metrics) and its approval promotes it. (Approving v1
// only after v2 was trained leaves v2 unpromoted: the champion's score on v2's test split is not
// stored, and the policy keeps the champion; the version page says "approved, not promoted".)
for (const [version, trees, depth] of [
  [1, 1, 1],
  [2, 30, 8],
]) {
  writeFileSync(
    join(dir, "lolpop.yaml"),
    yaml.replace("n_estimators: 30", `n_estimators: ${trees}`).replace("max_depth: 8", `max_depth: ${depth}`),
  );
  lolpop(["run", "--step", "deploy"]);
  lolpop(["models", "approve", "penguins", String(version), "--by", "alice"]);
}
lolpop(["predict", "-i", "data/new.csv", "-o", "predictions/v2.csv", "-m", "penguins/2"]);
writeFileSync(
  join(dir, "nn.yaml"),
  yaml
    .replace("model_name: penguins\n", "model_name: penguins_nn\n")
    .replace("model_trainer: RandomForestModelTrainer", "model_trainer: TfjsModelTrainer")
    .replace(
      / {2}model_trainer:\n {4}config:\n {6}training_params:\n {8}n_estimators: 30\n {8}max_depth: 8\n/,
      "  model_trainer:\n    config:\n      backend: cpu\n      training_params:\n        layers: [{ units: 16, activation: relu }]\n        epochs: 30\n        early_stopping: false\n",
    ),
);
lolpop(["run", "nn.yaml", "--step", "train"]);

const cwd = process.cwd();
process.chdir(dir);
const { openStore } = await import("@lolpop/cli");
const { createUiApp } = await import("../dist/index.js");
const store = await openStore(join(dir, "lolpop.yaml"));
const { app } = await createUiApp(store);
const url = (await app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
// The run page of v2's workflow run: metrics per split with baseline and champion, calls, log.
const v1 = await store.repo.get_model_version("penguins", 1);
const v2 = await store.repo.get_model_version("penguins", 2);
const workflowRun = (await store.tracker.get_run(v2.run_id)).parent_id;
if ((await store.repo.get_alias("penguins", "champion"))?.version !== 2)
  throw new Error("penguins v2 should be the champion after its approval");
const executablePath = execFileSync(process.execPath, [join(repoRoot, "scripts", "chromium-setup.mjs")], {
  encoding: "utf8",
}).trim();
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
const out = join(pkgDir, "docs");
mkdirSync(out, { recursive: true });
// Each shot starts at a section of the page (`from`, a selector; default the top) and is at most
// `height` px tall, so that the committed PNGs stay small (about 150 kB or less).
for (const [file, hash, from, height = 1300] of [
  ["runs", "/runs"],
  ["run", `/run/${workflowRun}`, undefined, 1250],
  ["run-log", `/run/${workflowRun}`, "#log", 900],
  ["compare", `/compare/${v1.run_id},${v2.run_id}`, undefined, 1200],
  ["models", "/models"],
  ["model", "/model/penguins"],
  ["version", "/version/penguins/2", "#importance"],
  ["version-curves", "/version/penguins_nn/1", "#curves"],
  ["lineage", "/lineage/penguins/2"],
  ["graph", "/graph", undefined, 720],
]) {
  await page.goto(`${url}/#${hash}`);
  await page.waitForSelector("main[data-ready]");
  if (hash.startsWith("/version/penguins_nn")) await page.waitForSelector("#curves .uplot canvas");
  const box = await page.evaluate((sel) => {
    const el = sel ? document.querySelector(sel) : null;
    const top = el ? Math.max(0, el.getBoundingClientRect().top + window.scrollY - 60) : 0;
    const { scrollWidth, scrollHeight } = document.documentElement;
    return { top, width: scrollWidth, height: scrollHeight };
  }, from ?? null);
  await page.screenshot({
    path: join(out, `${file}.png`),
    fullPage: true,
    clip: { x: 0, y: box.top, width: box.width, height: Math.min(height, box.height - box.top) },
  });
  console.log(`docs/${file}.png`);
}
await browser.close();
await app.close();
await store.close();
process.chdir(cwd);
rmSync(dir, { recursive: true, force: true });
