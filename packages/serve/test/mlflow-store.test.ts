// Serving from an MLflow model registry: a real MLflow server (the mlflow integration's test
// fixture, from the project's venv), a penguins project whose model_repository is
// MLflowModelRepository; `lolpop serve` and loadPredictor give what `lolpop run --step predict` wrote.
import "@lolpop/local";
import "@lolpop/mlflow";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type MlflowTestServer,
  processesMatching,
  startMlflowServer,
} from "../../../integrations/mlflow/test/fixtures/mlflow-server.mjs";
import { loadPredictor } from "../src/index.js";
import {
  csvRows,
  killServers,
  lolpop,
  packageFolder,
  penguinsYaml,
  servedProject,
  startServe,
} from "./helpers.js";

let server: MlflowTestServer;
let dir: string;

beforeAll(async () => {
  server = await startMlflowServer();
  const yaml = penguinsYaml({
    trees: 10,
    tracker: "MLflowMetadataTracker",
    repository: "MLflowModelRepository",
    config: [`tracking_uri: ${server.uri}`, "experiment_name: serve-test"],
  });
  dir = servedProject(yaml);
  const at = join(dir, "node_modules", "@lolpop", "mlflow");
  mkdirSync(join(dir, "node_modules", "@lolpop"), { recursive: true });
  symlinkSync(packageFolder("@lolpop/mlflow"), at);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "serve-mlflow-project",
      private: true,
      type: "module",
      dependencies: Object.fromEntries(
        [
          "@lolpop/cli",
          "@lolpop/core",
          "@lolpop/workflows",
          "@lolpop/local",
          "@lolpop/random-forest",
          "@lolpop/serve",
          "@lolpop/mlflow",
          "vega-datasets",
        ].map((n) => [n, "*"]),
      ),
    }),
  );
  const r = lolpop(dir, ["run"]);
  if (r.code !== 0) throw new Error(`lolpop run failed:\n${r.stdout}\n${r.stderr}`);
}, 300_000);

afterAll(async () => {
  killServers();
  if (server) {
    const { leftover } = await server.stop();
    expect(leftover).toBe(false);
    expect(processesMatching(server.dir)).toEqual([]);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("an MLflow model registry", () => {
  it("serves the champion registered in MLflow with the predictions lolpop run --step predict wrote", async () => {
    const written = csvRows(join(dir, "predictions", "penguins.csv"));
    const rows = csvRows(join(dir, "data", "new.csv"));
    const p = await loadPredictor("penguins@champion", { project: join(dir, "lolpop.yaml") });
    const lib = await p.predict(rows);
    expect(lib.version).toBe(1);
    expect(lib.predictions).toEqual(written.map((w) => w.prediction));
    const served = await startServe(dir, ["penguins@champion"]);
    try {
      const res = await fetch(`${served.url}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ dataframe_records: rows }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-lolpop-model-version")).toBe("1");
      expect(((await res.json()) as { predictions: unknown[] }).predictions).toEqual(
        written.map((w) => w.prediction),
      );
    } finally {
      expect(await served.stop()).toBe(0);
    }
  }, 180_000);
});
