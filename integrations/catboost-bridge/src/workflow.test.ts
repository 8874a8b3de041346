// The penguins quickstart with CatBoostModelTrainer, in process through the engine (process, train,
// deploy, predict), and the same workflow keeping island and sex as CatBoost categorical features
// (LocalFeatureTransformer with encoding: passthrough).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createWorkflow, validateConfigText } from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import "./index.js";
import {
  removeTempDirs as cleanTemp,
  packageDir,
  recordingLogger,
  repoRoot,
  tempDir,
  venvPythonForTests,
} from "../test/helpers.js";
import { closeCatBoostWorkers } from "./catboost-worker.js";

afterAll(() => cleanTemp());

/** Per-test timeout: jest's testTimeout is not applied per project when the root config runs every package. */
const TIMEOUT = 120_000;

const python = venvPythonForTests();

function project(): string {
  const dir = tempDir("lolpop-catboost-wf-");
  symlinkSync(join(packageDir, "node_modules"), join(dir, "node_modules"));
  copyFileSync(
    join(repoRoot, "examples", "quickstart", "penguins", "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

/** The quickstart's lolpop.yaml with the random forest swapped for CatBoost (a one-line change plus its config). */
function quickstartWithCatBoost(): string {
  const text = readFileSync(join(repoRoot, "examples", "quickstart", "penguins", "lolpop.yaml"), "utf8");
  const swapped = text
    .replace("model_trainer: RandomForestModelTrainer", "model_trainer: CatBoostModelTrainer")
    .replace(
      /( {2}model_trainer:\n {4}config:\n)( {6}training_params:\n(?: {8}.*\n)+)/,
      `$1      training_params:\n        iterations: 200\n        depth: 4\n        early_stopping_rounds: 30\n      python: ${JSON.stringify(python)}\n`,
    );
  if (!swapped.includes("CatBoostModelTrainer") || !swapped.includes("early_stopping_rounds"))
    throw new Error("the quickstart's lolpop.yaml changed shape: update this test's replacement");
  return swapped;
}

async function run(dir: string, text: string) {
  const file = join(dir, "lolpop.yaml");
  writeFileSync(file, text);
  const logger = recordingLogger();
  const { plan } = validateConfigText(text, file, {});
  const wf = await createWorkflow(plan, { logger });
  return { wf, logger, summary: (await wf.run("build_all")) as WorkflowSummary };
}

afterAll(async () => {
  await closeCatBoostWorkers();
});

describe("penguins quickstart with CatBoostModelTrainer", () => {
  it(
    "trains, registers, promotes and predicts (one-hot features: scored natively)",
    async () => {
      const dir = project();
      const { summary, logger } = await run(dir, quickstartWithCatBoost());
      const t = summary.train!;
      expect(t.trainer).toBe("CatBoostModelTrainer");
      expect(t.metrics.test!.f1_macro).toBeGreaterThan(0.9);
      expect(t.comparison.beats_baseline).toBe(true);
      expect(t.params).toMatchObject({ iterations: 200, depth: 4, early_stopping_rounds: 30, seed: 42 });
      expect(typeof t.params.learning_rate).toBe("number");
      expect(summary.deploy!).toMatchObject({ promoted: true, champion_version: 1 });
      const p = summary.predict!;
      expect(p.rows).toBe(68);
      const csv = readFileSync(p.path, "utf8").trim().split("\n");
      expect(csv).toHaveLength(69);
      expect(csv[0]).toMatch(/prediction/);
      const versionDir = join(dir, ".lolpop");
      const files = JSON.stringify(listDeep(versionDir));
      expect(files).toMatch(/model\.cbm/);
      expect(files).toMatch(/model\.json/);
      expect(files).toMatch(/lolpop-catboost\.json/);
      expect(logger.lines.some((l) => /predictions are computed natively in TypeScript/.test(l.msg))).toBe(
        true,
      );
    },
    TIMEOUT,
  );
});

describe("the same workflow with categorical features kept", () => {
  it(
    "passes island and sex to CatBoost as categorical features and predicts through Python",
    async () => {
      const dir = project();
      // LocalFeatureTransformer with encoding: passthrough keeps island and sex as text.
      const text = quickstartWithCatBoost().replace(
        "  data_splitter:\n    config:\n      split_ratio",
        "  feature_transformer:\n    config:\n      encoding: passthrough\n  data_splitter:\n    config:\n      split_ratio",
      );
      expect(text).toContain("encoding: passthrough");
      const { summary, logger } = await run(dir, text);
      expect(summary.train!.metrics.test!.f1_macro).toBeGreaterThan(0.9);
      expect(summary.predict!.rows).toBe(68);
      const metas = listDeep(join(dir, ".lolpop")).filter((f) => f.endsWith("lolpop-catboost.json"));
      expect(metas.length).toBeGreaterThan(0);
      const meta = JSON.parse(readFileSync(metas[0]!, "utf8")) as {
        cat_features: string[];
        native: { supported: boolean };
      };
      expect(meta.cat_features.sort()).toEqual(["island", "sex"]);
      expect(meta.native.supported).toBe(false);
      expect(
        logger.lines.some((l) =>
          /predictions use CatBoost in Python: the model has categorical features/.test(l.msg),
        ),
      ).toBe(true);
    },
    TIMEOUT,
  );
});

function listDeep(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listDeep(p));
    else out.push(p);
  }
  return out;
}
