// The penguins quickstart (examples/quickstart/penguins) with TfjsModelTrainer instead of the random
// forest, run in process through the engine: train, register, promote, predict; then a second run
// that loads the champion back through TfjsModelTrainer.load to compare it.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createWorkflow, silentLogger, validateConfigText } from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import "../src/index.js";
import { slow } from "./helpers.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const exampleDir = join(pkgDir, "..", "..", "examples", "quickstart", "penguins");

/** The quickstart's lolpop.yaml with the model trainer swapped for TfjsModelTrainer. */
export function tfjsPenguinsConfig(): string {
  const original = readFileSync(join(exampleDir, "lolpop.yaml"), "utf8");
  const swapped = original
    .replace(/model_trainer: RandomForestModelTrainer/, "model_trainer: TfjsModelTrainer")
    .replace(
      /\n {2}model_trainer:\n {4}config:\n(?: {6}.*\n)+/,
      `
  model_trainer:
    config:
      backend: auto
      progress: log
      training_params:
        layers:
          - { units: 32, activation: relu, dropout: 0.1 }
          - { units: 16, activation: relu }
        learning_rate: 0.01
        epochs: 80
        batch_size: 16
        early_stopping: { patience: 15 }
`,
    );
  if (!swapped.includes("model_trainer: TfjsModelTrainer") || swapped.includes("n_estimators"))
    throw new Error(`examples/quickstart/penguins/lolpop.yaml changed shape; update this test:\n${original}`);
  return swapped;
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-tfjs-penguins-"));
  copyFileSync(join(exampleDir, "prepare-data.mjs"), join(dir, "prepare-data.mjs"));
  // prepare-data.mjs reads vega-datasets (a devDependency of this package).
  symlinkSync(join(pkgDir, "node_modules"), join(dir, "node_modules"));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

async function run(dir: string, text: string): Promise<WorkflowSummary> {
  const file = join(dir, "lolpop.yaml");
  writeFileSync(file, text);
  const { plan } = validateConfigText(text, file, {});
  const wf = await createWorkflow(plan, { logger: silentLogger });
  return (await wf.run("build_all")) as WorkflowSummary;
}

describe("penguins quickstart with TfjsModelTrainer", () => {
  slow(
    "trains, registers and promotes a network, predicts new penguins, and reloads it as champion",
    async () => {
      const dir = project();
      const text = tfjsPenguinsConfig();
      const first = await run(dir, text);
      const t = first.train!;
      expect(t.trainer).toBe("TfjsModelTrainer");
      expect(t.version).toBe(1);
      expect(t.metrics.test!.f1_macro).toBeGreaterThan(0.9);
      expect(t.comparison.beats_baseline).toBe(true);
      expect(first.deploy).toMatchObject({ promoted: true, champion_version: 1 });
      const csv = readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")
        .trim()
        .split("\n");
      expect(csv[0]).toBe("id,prediction,proba_Adelie,proba_Chinstrap,proba_Gentoo");
      expect(csv.length - 1).toBe(first.predict!.rows);
      // The registered version holds the TensorFlow.js layers model.
      const versionDir = join(dir, ".lolpop", "models", "penguins");
      const files = execFileSync("find", [versionDir, "-name", "model.json"], { encoding: "utf8" });
      expect(files).toMatch(/model\.json/);

      // Per-epoch metrics went to the train run of the tracker, one step per epoch.
      const metricFiles = execFileSync("find", [join(dir, ".lolpop"), "-name", "metrics.jsonl"], {
        encoding: "utf8",
      })
        .trim()
        .split("\n");
      const epochs = metricFiles
        .flatMap((f) => readFileSync(f, "utf8").trim().split("\n"))
        .map((l) => JSON.parse(l) as { key: string; value: number; step: number })
        .filter((r) => r.key === "epoch.val_loss");
      expect(epochs.length).toBeGreaterThan(1);
      expect(epochs.map((r) => r.step)).toEqual(epochs.map((_, i) => i + 1));
      expect(epochs.every((r) => Number.isFinite(r.value) && r.value > 0)).toBe(true);

      // Same data and seeds: the champion is loaded back and scores exactly what it scored.
      const second = await run(dir, text);
      expect(second.train!.champion!.version).toBe(1);
      expect(second.train!.champion!.metrics).toEqual(t.metrics.test);
      expect(second.predict!.version).toBe(1);
    },
  );
});
