// Portable models through the CLI and the local repository: `export: [onnx]` on
// LocalModelRepository stores model.onnx with each version; `lolpop models export` writes the
// same model for name@alias or name/version; both predict like lolpop's own predict step (Python
// onnxruntime after the full ONNX check, and onnxruntime-node). What ONNX cannot express (a process
// data_transformer) is refused by name: exit 1, nothing written, and with `export:` nothing registered.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  classificationPredictions,
  type DataConnector,
  instantiateComponent,
  type Table,
} from "@lolpop/core";
import { localDataConnector } from "@lolpop/local";
import { decodeModel } from "@lolpop/onnx";
import { parity } from "../../packages/onnx/test/helpers.js";
import { lolpop } from "../helpers.js";
import { penguinsProject, penguinsYaml, versions } from "../penguins.js";

const EXPORT = "model_repository:\n  config:\n    export: [onnx]\n";

/** The raw feature columns of data/new.csv as LocalDataConnector reads them. */
async function newData(dir: string, columns: string[]): Promise<Table> {
  const connector = (await instantiateComponent(localDataConnector, {
    config: { path: join(dir, "data", "new.csv") },
  })) as DataConnector;
  return (await connector.get_data()).select(columns);
}

/** lolpop's predictions (predictions/penguins.csv) as Predictions, in the input's row order. */
function lolpopPredictions(dir: string) {
  const [header, ...rows] = readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")
    .trimEnd()
    .split("\n");
  const names = header!.split(",");
  const classes = names.filter((n) => n.startsWith("proba_")).map((n) => n.slice(6));
  const k = classes.length;
  const proba = new Float64Array(rows.length * k);
  const p = classificationPredictions(classes, proba, rows.length);
  rows.forEach((r, i) => {
    const cells = r.split(",");
    classes.forEach((c, j) => {
      proba[i * k + j] = Number(cells[names.indexOf(`proba_${c}`)]);
    });
    p.labels[i] = classes.indexOf(cells[names.indexOf("prediction")]!);
  });
  return p;
}

describe("lolpop models export and export: [onnx]", () => {
  let dir: string;

  beforeAll(() => {
    dir = penguinsProject("lolpop-models-export-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml() + EXPORT);
    const r = lolpop(["run", "--step", "all"], dir);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
  }, 300_000);

  it("stores model.onnx with the registered version, predicting like lolpop", async () => {
    const file = join(dir, ".lolpop", "models", "penguins", "versions", "1", "model.onnx");
    const bytes = new Uint8Array(readFileSync(file));
    const meta = JSON.parse(
      readFileSync(join(dir, ".lolpop", "models", "penguins", "versions", "1", "version.json"), "utf8"),
    ) as { files: string[] };
    expect(meta.files).toContain("model.onnx");
    const model = decodeModel(bytes);
    const raw = await newData(
      dir,
      model.graph.inputs.map((i) => i.name),
    );
    const p = await parity(bytes, raw, lolpopPredictions(dir));
    expect(p.rows).toBe(68);
    expect(p.checker).toBe("ok");
    expect(p.labelMismatches).toEqual({ python: 0, node: 0 });
    expect(p.maxDiff.python).toBeLessThan(1e-5);
    expect(p.maxDiff.node).toBeLessThan(1e-5);
  }, 120_000);

  it("lolpop models export name@alias --json writes model.onnx that predicts like lolpop", async () => {
    const r = lolpop(
      ["models", "export", "penguins@champion", "--format", "onnx", "--out", "exported", "--json"],
      dir,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out).toMatchObject({
      ok: true,
      name: "penguins",
      version: 1,
      format: "onnx",
      path: join(dir, "exported", "model.onnx"),
      outputs: [
        { name: "label", type: "string" },
        { name: "probabilities", type: "float" },
      ],
    });
    expect(out.inputs.map((i: { name: string }) => i.name)).toEqual([
      "island",
      "beak_length_mm",
      "beak_depth_mm",
      "flipper_length_mm",
      "body_mass_g",
      "sex",
    ]);
    const bytes = new Uint8Array(readFileSync(out.path));
    expect(bytes.byteLength).toBe(out.bytes);
    expect(decodeModel(bytes).metadata).toMatchObject({
      "lolpop.model_name": "penguins",
      "lolpop.model_version": "1",
    });
    const p = await parity(
      bytes,
      await newData(
        dir,
        out.inputs.map((i: { name: string }) => i.name),
      ),
      lolpopPredictions(dir),
    );
    expect(p.labelMismatches).toEqual({ python: 0, node: 0 });
    expect(p.maxDiff.python).toBeLessThan(1e-5);
    expect(p.maxDiff.node).toBeLessThan(1e-5);
  }, 120_000);

  it("name/version works too and prints one line; bad arguments exit 2, an unknown version exits 1", () => {
    const r = lolpop(["models", "export", "penguins/1", "--format", "onnx", "--out", "v1"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^exported penguins v1 to .*v1\/model\.onnx \(\d+\.\d kB; inputs: island string, /,
    );
    expect(existsSync(join(dir, "v1", "model.onnx"))).toBe(true);

    const badRef = lolpop(["models", "export", "penguins/0", "--format", "onnx"], dir);
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toMatch(/model reference "penguins\/0" has version "0", not a whole number from 1/);
    const badFormat = lolpop(["models", "export", "penguins/1", "--format", "pmml"], dir);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/--format pmml is not an export format: use onnx/);
    const noFormat = lolpop(["models", "export", "penguins/1"], dir);
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr).toMatch(/--format/);
    const missing = lolpop(["models", "export", "penguins/9", "--format", "onnx", "--json"], dir);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: "no_version" } });
    const noAlias = lolpop(["models", "export", "penguins@staging", "--format", "onnx"], dir);
    expect(noAlias.code).toBe(1);
    expect(noAlias.stderr).toMatch(/no alias "staging"/);
  }, 120_000);

  it("--help describes the command and its exit codes", () => {
    const r = lolpop(["models", "export", "--help"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: lolpop models export \[options\] <model>/);
    expect(r.stdout).toMatch(/Exit codes: 0 written; 1 .*; 2 bad arguments/);
  });
});

describe("what ONNX cannot express is refused by name", () => {
  const transformer = "      steps: [{drop: [sex]}]";

  it("lolpop models export on a version with a process data_transformer: exit 1 naming it, nothing written", () => {
    const dir = penguinsProject("lolpop-models-export-refused-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ processTransformer: transformer }));
    expect(lolpop(["run", "--step", "deploy"], dir).code).toBe(0);
    const r = lolpop(["models", "export", "penguins/1", "--format", "onnx", "--out", "out", "--json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out).toMatchObject({
      ok: false,
      error: { code: "onnx_unsupported", unsupported: "data_transformer LocalDataTransformer" },
    });
    expect(out.error.message).toMatch(
      /model penguins v1 replays a process data_transformer \(LocalDataTransformer\)/,
    );
    expect(existsSync(join(dir, "out"))).toBe(false);
    const text = lolpop(["models", "export", "penguins/1", "--format", "onnx", "--out", "out"], dir);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/^lolpop: .*data_transformer \(LocalDataTransformer\)/);
  }, 300_000);

  it("export: [onnx] on such a workflow is a validate error at model_repository.config.export; run registers nothing", () => {
    const dir = penguinsProject("lolpop-models-export-refused-reg-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ processTransformer: transformer }) + EXPORT);
    const v = lolpop(["validate"], dir);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/lolpop\.yaml:\d+.*model_repository\.config\.export/);
    expect(v.stderr).toMatch(
      /replay the data_transformer process\.data_transformer \(LocalDataTransformer\)/,
    );
    const r = lolpop(["run", "--step", "deploy"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/export: \[onnx\] cannot export the versions this workflow trains/);
    expect(versions(dir)).toEqual([]);
  }, 300_000);
});
