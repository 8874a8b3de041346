// LocalFeatureTransformer's ONNX piece computes what transform() computes: on the penguins data
// (text and numeric columns with missing values), with every encoding and scaling option, for rows
// with unseen categories and missing values, in onnxruntime (Python, after the full ONNX check)
// and onnxruntime-node, within 1e-5.
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FeatureTransformer, instantiateComponent, type OnnxGraphPiece, Table } from "@lolpop/core";
import { encodeModel, IR_VERSION, loadOnnxRuntime, OnnxExportError, type OnnxModel } from "@lolpop/onnx";
import { callPython, maxAbsDiff, pythonInputs } from "../../onnx/test/helpers.js";
import { localFeatureTransformer } from "./local-feature-transformer.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");

function penguins(): Table {
  const vegaRoot = dirname(dirname(createRequire(join(pkgDir, "package.json")).resolve("vega-datasets")));
  const rows = JSON.parse(readFileSync(join(vegaRoot, "data", "penguins.json"), "utf8")) as Array<
    Record<string, string | number | null>
  >;
  const text = (v: unknown) => (typeof v === "string" && v !== "." ? v : null);
  const num = (v: unknown) => (typeof v === "number" ? v : Number.NaN);
  return Table.fromColumns([
    ["island", rows.map((r) => text(r.Island))],
    ["sex", rows.map((r) => text(r.Sex))],
    ["beak_length_mm", Float64Array.from(rows, (r) => num(r["Beak Length (mm)"]))],
    ["flipper_length_mm", Float64Array.from(rows, (r) => num(r["Flipper Length (mm)"]))],
    ["body_mass_g", Float64Array.from(rows, (r) => num(r["Body Mass (g)"]))],
  ]);
}

/** New rows: an unseen island, missing values of every kind. */
function newRows(): Table {
  return Table.fromColumns([
    ["island", ["Biscoe", "Atlantis", null, "Dream"]],
    ["sex", [null, "MALE", "FEMALE", "unknown"]],
    ["beak_length_mm", Float64Array.from([Number.NaN, 40.1, 52, 38])],
    ["flipper_length_mm", Float64Array.from([200, Number.NaN, 180, 230])],
    ["body_mass_g", Float64Array.from([4000, 5000, Number.NaN, 3100])],
  ]);
}

/** The piece alone as a model: raw columns in, `features` out. */
function pieceModel(piece: OnnxGraphPiece): OnnxModel {
  return {
    ir_version: IR_VERSION,
    opsets: piece.opsets,
    graph: {
      name: "features",
      nodes: piece.nodes,
      initializers: piece.initializers,
      inputs: piece.inputs.map((i) => ({ name: i.name, type: { tensor: i.type, shape: i.shape } })),
      outputs: piece.outputs.map((o) => ({ name: o.name, type: { tensor: o.type, shape: o.shape } })),
    },
  };
}

/** transform() as one row-major matrix. */
function matrix(t: Table): Float64Array {
  const out = new Float64Array(t.numRows * t.columnNames.length);
  t.columnNames.forEach((name, j) => {
    const col = t.numeric(name);
    for (let i = 0; i < t.numRows; i++) out[i * t.columnNames.length + j] = col[i]!;
  });
  return out;
}

async function scoreInNode(bytes: Uint8Array, table: Table): Promise<Float64Array> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, spec] of Object.entries(pythonInputs(bytes, table))) {
      feeds[name] =
        spec.type === "string"
          ? new ort.Tensor("string", spec.values as string[], [table.numRows, 1])
          : new ort.Tensor(
              "float64",
              Float64Array.from(spec.values as Array<number | null>, (v) => (v === null ? Number.NaN : v)),
              [table.numRows, 1],
            );
    }
    const out = await session.run(feeds);
    return out.features!.data as Float64Array;
  } finally {
    await session.release();
  }
}

const CONFIGS: Array<Record<string, unknown>> = [
  {},
  { encoding: "ordinal", scaling: "minmax", numeric_impute: "mean", add_missing_indicators: true },
  {
    max_categories: 1,
    scaling: "none",
    numeric_impute: "constant",
    categorical_impute: "constant",
    fill_value: 0,
    add_missing_indicators: true,
  },
];

describe.each(CONFIGS)("LocalFeatureTransformer %j as ONNX", (config) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lolpop-ft-onnx-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("computes the very features transform() computes (double arithmetic), in both onnxruntimes", async () => {
    const ft = (await instantiateComponent(localFeatureTransformer, {
      config,
      path: "train.feature_transformer",
    })) as FeatureTransformer;
    const train = penguins();
    await ft.fit(train);
    const piece = await ft.to_onnx!();
    const table = Table.concat([train, newRows()]);
    const expected = await ft.transform(table);
    expect(piece.feature_names).toEqual(expected.columnNames);
    expect(piece.inputs.map((i) => `${i.name}:${i.type}`)).toEqual([
      "island:string",
      "sex:string",
      "beak_length_mm:double",
      "flipper_length_mm:double",
      "body_mass_g:double",
    ]);
    const bytes = encodeModel(pieceModel(piece));
    const file = join(dir, "features.onnx");
    await writeFile(file, bytes);
    const py = await callPython({ model: file, inputs: pythonInputs(bytes, table), rows: table.numRows });
    expect(py.checker).toBe("ok");
    const want = matrix(expected);
    expect(py.outputs.features!.dims).toEqual([table.numRows, expected.columnNames.length]);
    expect(maxAbsDiff(py.outputs.features!.values as number[], want)).toBe(0);
    expect(maxAbsDiff(await scoreInNode(bytes, table), want)).toBe(0);
  }, 120_000);
});

describe("what LocalFeatureTransformer cannot export", () => {
  it("refuses encoding passthrough, naming the features", async () => {
    const ft = (await instantiateComponent(localFeatureTransformer, {
      config: { encoding: "passthrough" },
      path: "train.feature_transformer",
    })) as FeatureTransformer;
    await ft.fit(penguins());
    const err = await ft.to_onnx!().catch((e: unknown) => e);
    expect(OnnxExportError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /^train\.feature_transformer: features "island", "sex" are passed through as text \(encoding: passthrough\).*Use encoding onehot or ordinal/,
    );
    expect((err as OnnxExportError).unsupported).toBe(
      'feature "island" (encoding passthrough), feature "sex" (encoding passthrough)',
    );
  });

  it("says that it must be fitted first", async () => {
    const ft = (await instantiateComponent(localFeatureTransformer, { path: "ft" })) as FeatureTransformer;
    await expect(ft.to_onnx!()).rejects.toThrow(/to_onnx\(\) was called before fit\(\) or load\(\)/);
  });
});
