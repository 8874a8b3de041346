#!/usr/bin/env node
// Screenshots of every page of lolpop ui for the README (docs/*.png): the penguins quickstart with
// an Evidently data checker trained twice (a weak then a better forest, manual approval), v1
// approved, v2 predicting once, and a small TensorFlow.js network (penguins_nn) for the training
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
for (const [trees, depth] of [
  [1, 1],
  [30, 8],
]) {
  writeFileSync(
    join(dir, "lolpop.yaml"),
    yaml.replace("n_estimators: 30", `n_estimators: ${trees}`).replace("max_depth: 8", `max_depth: ${depth}`),
  );
  lolpop(["run", "--step", "deploy"]);
}
lolpop(["models", "approve", "penguins", "1", "--by", "alice"]);
lolpop(["models", "approve", "penguins", "2", "--by", "alice"]);
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
const train = (await store.tracker.search_runs({ tags: { "lolpop.stage": "train" } })).map((r) => r.id);
const executablePath = execFileSync(process.execPath, [join(repoRoot, "scripts", "chromium-setup.mjs")], {
  encoding: "utf8",
}).trim();
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
const out = join(pkgDir, "docs");
mkdirSync(out, { recursive: true });
for (const [file, hash] of [
  ["runs", "/runs"],
  ["run", `/run/${train[0]}`],
  ["compare", `/compare/${train.slice(0, 2).join(",")}`],
  ["models", "/models"],
  ["model", "/model/penguins"],
  ["version", "/version/penguins/2"],
  ["version-curves", "/version/penguins_nn/1"],
  ["lineage", "/lineage/penguins/2"],
  ["graph", "/graph"],
]) {
  await page.goto(`${url}/#${hash}`);
  await page.waitForSelector("main[data-ready]");
  await page.screenshot({ path: join(out, `${file}.png`), fullPage: true });
  console.log(`docs/${file}.png`);
}
await browser.close();
await app.close();
await store.close();
process.chdir(cwd);
rmSync(dir, { recursive: true, force: true });
