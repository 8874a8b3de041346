// `export: [onnx]` on MLflowModelRepository against a real MLflow server: the penguins quickstart
// registers its version with model.onnx and MLmodel `onnx` + `python_function` flavors (loader
// mlflow.onnx) and a tensor signature; then, from Python, `mlflow.pyfunc.load_model` on
// `models:/penguins@champion` predicts new.csv like lolpop's own predict step (labels identical,
// probabilities within 1e-5). One server for the file.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createWorkflow, silentLogger, validateConfigText } from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import { penguinsYaml, writePenguinsData } from "../../../tests/penguins.js";
import {
  freePort,
  type MlflowTestServer,
  processesMatching,
  startMlflowServer,
  venvPython,
} from "../test/fixtures/mlflow-server.mjs";
import "./index.js";
import { MlflowClient } from "./mlflow-client.js";
import type { MlflowModelRepository } from "./mlflow-model-repository.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");

let server: MlflowTestServer;

beforeAll(async () => {
  server = await startMlflowServer();
}, 240_000);

afterAll(async () => {
  if (!server) return;
  const { leftover } = await server.stop();
  expect(leftover).toBe(false);
  expect(processesMatching(server.dir)).toEqual([]);
}, 60_000);

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-mlflow-onnx-"));
  symlinkSync(join(pkgDir, "node_modules"), join(dir, "node_modules"));
  writePenguinsData(dir);
  return dir;
}

const yaml = (experiment: string, exportLine: string) =>
  penguinsYaml({
    repository: "MLflowModelRepository",
    config: [`tracking_uri: ${server.uri}`, `experiment_name: ${experiment}`],
    sections: `model_repository:
  config:
${exportLine}`,
    trees: 30,
    depth: 8,
    deployConfig: ["approval: automatic"],
  });

/** Rows of a CSV without quoted commas (lolpop's predictions, the quickstart's data). */
function readCsv(path: string): Array<Record<string, string>> {
  const [header, ...rows] = readFileSync(path, "utf8").trimEnd().split("\n");
  const names = header!.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [names[i]!, v])));
}

describe("MLflowModelRepository with export: [onnx]", () => {
  let dir: string;
  let summary: WorkflowSummary;
  let repo: MlflowModelRepository;

  beforeAll(async () => {
    dir = project();
    const text = yaml(`penguins-onnx-${Date.now()}`, "    export: [onnx]");
    const path = join(dir, "lolpop.yaml");
    writeFileSync(path, text);
    const { plan } = validateConfigText(text, path, {});
    const wf = await createWorkflow(plan, { logger: silentLogger });
    summary = (await wf.run("build_all")) as WorkflowSummary;
    repo = wf.component<MlflowModelRepository>("model_repository");
  }, 240_000);

  it("stores model.onnx with the version and records the onnx and python_function flavors with a signature", async () => {
    expect(summary.train!.version).toBe(1);
    const v = await repo.get_model_version("penguins", 1);
    const client = new MlflowClient({ config: { tracking_uri: server.uri }, resolve: { env: {} } });
    try {
      const mlmodel = Buffer.from(await client.downloadArtifact(v.uri, "MLmodel")).toString("utf8");
      expect(mlmodel).toMatch(/^ {2}onnx:$/m);
      expect(mlmodel).toMatch(/^ {2}python_function:$/m);
      expect(mlmodel).toMatch(/loader_module: "mlflow.onnx"/);
      expect(mlmodel).toMatch(/^signature:$/m);
      const onnx = await client.downloadArtifact(v.uri, "model.onnx");
      expect(onnx.byteLength).toBeGreaterThan(1000);
    } finally {
      await client.close();
    }
    // download_model brings the exported file along with the bundle.
    const local = await repo.download_model("penguins", 1);
    expect(readFileSync(join(local, "model.onnx")).byteLength).toBeGreaterThan(1000);
  });

  it("mlflow.pyfunc.load_model('models:/penguins@champion') predicts like lolpop (labels identical, probabilities within 1e-5)", async () => {
    const out = join(dir, "pyfunc.json");
    await run(
      venvPython(),
      [
        join(pkgDir, "test", "fixtures", "pyfunc_predict.py"),
        server.uri,
        "models:/penguins@champion",
        join(dir, "data", "new.csv"),
        out,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const py = JSON.parse(readFileSync(out, "utf8")) as {
      flavors: string[];
      loader: string;
      label: string[];
      probabilities: number[][];
    };
    expect(py.flavors).toEqual(expect.arrayContaining(["lolpop", "onnx", "python_function"]));
    expect(py.loader).toBe("mlflow.onnx");
    const ours = readCsv(join(dir, "predictions", "penguins.csv"));
    expect(ours.length).toBe(68);
    expect(py.label).toEqual(ours.map((r) => r.prediction));
    const classes = Object.keys(ours[0]!)
      .filter((k) => k.startsWith("proba_"))
      .map((k) => k.slice(6));
    expect(classes.length).toBe(3);
    let maxDiff = 0;
    ours.forEach((r, i) =>
      classes.forEach((c, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(Number(r[`proba_${c}`]) - py.probabilities[i]![j]!));
      }),
    );
    console.log(
      `pyfunc vs lolpop on ${ours.length} rows: max probability difference ${maxDiff.toExponential(2)}`,
    );
    expect(maxDiff).toBeLessThan(1e-5);
  }, 180_000);

  it("mlflow models serve answers /invocations with lolpop's predictions", async () => {
    const port = await freePort();
    const serve = spawn(
      venvPython(),
      [
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        "models:/penguins@champion",
        "--env-manager",
        "local",
        "--host",
        "127.0.0.1",
        "-p",
        String(port),
      ],
      {
        // The venv's bin on PATH, as an activated venv has it (serve execs uvicorn by name).
        env: {
          ...process.env,
          MLFLOW_TRACKING_URI: server.uri,
          PATH: `${dirname(venvPython())}:${process.env.PATH ?? ""}`,
        },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let log = "";
    serve.stdout!.on("data", (d) => (log += d));
    serve.stderr!.on("data", (d) => (log += d));
    try {
      const deadline = Date.now() + 150_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/ping`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline || serve.exitCode !== null)
          throw new Error(`mlflow models serve did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const rows = readCsv(join(dir, "data", "new.csv"));
      const columns = [
        "island",
        "beak_length_mm",
        "beak_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
      ];
      const text = new Set(["island", "sex"]);
      const data = rows.map((r) =>
        columns.map((c) =>
          text.has(c) ? (r[c] ?? "") : r[c] === "" || r[c] === undefined ? null : Number(r[c]),
        ),
      );
      const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ dataframe_split: { columns, data } }),
      });
      const body = (await res.json()) as { predictions: { label: string[]; probabilities: number[][] } };
      expect(res.status).toBe(200);
      const ours = readCsv(join(dir, "predictions", "penguins.csv"));
      expect(body.predictions.label).toEqual(ours.map((r) => r.prediction));
      const classes = Object.keys(ours[0]!).filter((k) => k.startsWith("proba_"));
      let maxDiff = 0;
      ours.forEach((r, i) =>
        classes.forEach((c, j) => {
          maxDiff = Math.max(maxDiff, Math.abs(Number(r[c]) - body.predictions.probabilities[i]![j]!));
        }),
      );
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      try {
        process.kill(-serve.pid!, "SIGTERM");
      } catch {}
      await new Promise((r) => setTimeout(r, 2000));
      try {
        process.kill(-serve.pid!, "SIGKILL");
      } catch {}
    }
    // Nothing of the server is left running.
    expect(processesMatching(`--port ${port}`)).toEqual([]);
  }, 240_000);
});
