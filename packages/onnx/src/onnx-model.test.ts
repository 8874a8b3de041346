// The protobuf writer and reader against the ONNX reference implementation (onnx.helper, the
// checker, onnxruntime in Python) and onnxruntime-node.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OnnxGraphPiece, Table } from "@lolpop/core";
import { callPython, maxAbsDiff, parity, scoreInPython } from "../test/helpers.js";
import { attr, BATCH_DIM, PieceBuilder, tensorInfo } from "./onnx-builder.js";
import { composeModel, FEATURES, PREDICTION, PROBABILITIES } from "./onnx-compose.js";
import { OnnxExportError } from "./onnx-export-error.js";
import { decodeModel, encodeModel } from "./onnx-model.js";
import { ProtoReader, ProtoWriter, readInts } from "./onnx-protobuf.js";

const SLOW = 120_000;

describe("protobuf wire format", () => {
  it("writes varints, negative int64s, floats and packed lists that it reads back", () => {
    const w = new ProtoWriter();
    w.int(1, 0)
      .int(2, 300)
      .int(3, -1n)
      .int(4, 2 ** 40)
      .float(5, 0.5)
      .string(6, "été");
    w.packedInts(7, [1, -2, 2 ** 33]).packedFloats(8, [1.5, -2]);
    const r = new ProtoReader(w.finish());
    const fields = r.fields();
    expect(fields.map((f) => f.field)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(fields[1]!.varint).toBe(300n);
    expect(BigInt.asIntN(64, fields[2]!.varint!)).toBe(-1n);
    expect(fields[3]!.varint).toBe(2n ** 40n);
    expect(r.float(fields[4]!)).toBe(0.5);
    expect(new TextDecoder().decode(fields[5]!.bytes)).toBe("été");
    const ints: bigint[] = [];
    readInts(fields[6]!, ints);
    expect(ints).toEqual([1n, -2n, 2n ** 33n]);
    // 300 is 0xac 0x02 on the wire; -1 is ten bytes
    expect(Array.from(new ProtoWriter().int(1, 300).finish())).toEqual([0x08, 0xac, 0x02]);
    expect(new ProtoWriter().int(1, -1n).finish().length).toBe(11);
  });

  it("names the byte offset of a truncated message", () => {
    const bytes = new ProtoWriter().string(1, "hello").finish().subarray(0, 4);
    expect(() => new ProtoReader(bytes).fields()).toThrow(/runs past the end/);
    expect(() => decodeModel(new Uint8Array([0x08]))).toThrow(/truncated varint at byte 1/);
  });
});

describe("ONNX models", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lolpop-onnx-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    "reads a model written by onnx.helper: nodes, every attribute kind, initializers, value types, metadata",
    async () => {
      const file = join(dir, "reference.onnx");
      await callPython({ make: "reference", model: file });
      const bytes = new Uint8Array(await readFile(file));
      const m = decodeModel(bytes);
      expect(m.ir_version).toBe(8);
      expect(m.opsets).toEqual({ "": 17, "ai.onnx.ml": 3 });
      expect(m.producer_name).toBe("onnx.helper");
      expect(m.metadata).toEqual({ k: "v" });
      const [enc, scale, cast, constant] = m.graph.nodes;
      expect(enc).toMatchObject({
        op_type: "LabelEncoder",
        domain: "ai.onnx.ml",
        name: "enc",
        inputs: ["x"],
        outputs: ["y"],
        doc_string: "maps text",
      });
      expect(enc!.attributes).toEqual({
        keys_strings: { type: "strings", value: ["a", "b", "été"] },
        values_int64s: { type: "ints", value: [1, -2, 3] },
        default_int64: { type: "int", value: -1 },
      });
      expect(scale!.attributes!.offset).toEqual({ type: "floats", value: [0.5, -1.5] });
      expect(cast!.attributes!.to).toEqual({ type: "int", value: 1 });
      const value = constant!.attributes!.value!;
      expect(value.type).toBe("tensor");
      if (value.type === "tensor") {
        expect(value.value.type).toBe("double");
        expect(value.value.dims).toEqual([2, 2]);
        expect(Array.from(value.value.data as Float64Array)).toEqual([1, -2.5, 3.25, 1e300]);
      }
      const [i64, f32, s] = m.graph.initializers;
      expect(i64).toMatchObject({ name: "i64", type: "int64", dims: [3] });
      expect(Array.from(i64!.data as BigInt64Array)).toEqual([-1n, 0n, 2n ** 40n]);
      expect(Array.from(f32!.data as Float32Array)).toEqual([0.5, -0.25]);
      expect(s).toMatchObject({ type: "string", data: ["x", "yz"] });
      expect(m.graph.inputs).toEqual([
        { name: "x", type: { tensor: "string", shape: ["N"] } },
        { name: "z", type: { tensor: "float", shape: ["N", 2] } },
      ]);
      expect(m.graph.outputs[2]).toEqual({ name: "c", type: { tensor: "double", shape: [2, 2] } });
      // Written back by our encoder, read again: the same model.
      expect(decodeModel(encodeModel(m))).toEqual(m);
    },
    SLOW,
  );

  it(
    "writes a model that the ONNX checker accepts and both runtimes score like the arithmetic it describes",
    async () => {
      // prediction = features . w + b, features from three raw numeric columns.
      const w = [0.5, -2, 3];
      const b = new PieceBuilder();
      const x = b.input(tensorInfo(FEATURES, "float", [BATCH_DIM, 3]));
      const mm = b.op("MatMul", [x, b.floats("w", w, [3, 1])]);
      const added = b.op("Add", [mm, b.floats("b", [1.25], [1])]);
      b.node("Reshape", [added, b.int64s("shape", [-1])], [b.outputName(PREDICTION)]);
      b.output(tensorInfo(PREDICTION, "float", [BATCH_DIM]));
      const piece = b.finish({ feature_names: ["a", "b", "c"] });
      const model = composeModel({
        problem_type: "regression",
        model: piece,
        feature_names: ["a", "b", "c"],
      });
      const bytes = encodeModel(model);
      const table = Table.fromColumns([
        ["a", Float64Array.from([1, 2, 3, 4])],
        ["b", Float64Array.from([0, -1, 0.25, 8])],
        ["c", Float64Array.from([1, 1, 1, -1])],
      ]);
      const expected = Float64Array.from({ length: 4 }, (_, i) => {
        const r = [table.numeric("a")[i]!, table.numeric("b")[i]!, table.numeric("c")[i]!];
        return r.reduce((s, v, j) => s + v * w[j]!, 1.25);
      });
      const p = await parity(bytes, table, { problem_type: "regression", values: expected });
      expect(p.checker).toBe("ok");
      expect(p.maxDiff.python).toBeLessThan(1e-6);
      expect(p.maxDiff.node).toBeLessThan(1e-6);
    },
    SLOW,
  );

  it(
    "composes a feature piece whose columns are in another order (Gather) with a classifier and its label head",
    async () => {
      // Feature piece: two raw columns -> features [q, p] (reversed against the model's [p, q]).
      const f = new PieceBuilder();
      const p = f.input(tensorInfo("p", "float", [BATCH_DIM, 1]));
      const q = f.input(tensorInfo("q", "float", [BATCH_DIM, 1]));
      f.node("Concat", [q, p], [f.outputName(FEATURES)], { axis: attr.int(1) });
      f.output(tensorInfo(FEATURES, "float", [BATCH_DIM, 2]));
      const features = f.finish({ feature_names: ["q", "p"] });
      // Model: probabilities = softmax(features [p, q] . W).
      const m = new PieceBuilder();
      const x = m.input(tensorInfo(FEATURES, "float", [BATCH_DIM, 2]));
      const logits = m.op("MatMul", [x, m.floats("W", [1, 0, 0, 0, 0, 1], [2, 3])]);
      m.node("Softmax", [logits], [m.outputName(PROBABILITIES)], { axis: attr.int(1) });
      m.output(tensorInfo(PROBABILITIES, "float", [BATCH_DIM, 3]));
      const model: OnnxGraphPiece = m.finish({ feature_names: ["p", "q"] });
      const classes = ["from p", "zero", "from q"];
      const composed = composeModel({
        problem_type: "classification",
        model,
        features,
        feature_names: ["p", "q"],
        classes,
      });
      expect(composed.graph.nodes.map((n) => n.op_type)).toEqual([
        "Concat",
        "Gather",
        "MatMul",
        "Softmax",
        "ArgMax",
        "LabelEncoder",
      ]);
      const bytes = encodeModel(composed);
      const pv = [3, -1, 0, 0.5];
      const qv = [1, -3, 0, 2];
      const table = Table.fromColumns([
        ["p", Float64Array.from(pv)],
        ["q", Float64Array.from(qv)],
      ]);
      const proba = new Float64Array(12);
      pv.forEach((pi, i) => {
        const z = [Math.exp(pi), 1, Math.exp(qv[i]!)];
        const s = z[0]! + z[1]! + z[2]!;
        z.forEach((v, k) => (proba[i * 3 + k] = v / s));
      });
      // Row 2 is a three-way tie: the first class wins, as in lolpop's own predictions.
      const labels = Int32Array.from([0, 1, 0, 2]);
      const result = await parity(bytes, table, { problem_type: "classification", classes, labels, proba });
      expect(result.checker).toBe("ok");
      expect(result.labelMismatches).toEqual({ python: 0, node: 0 });
      expect(result.maxDiff.python).toBeLessThan(1e-6);
      expect(result.maxDiff.node).toBeLessThan(1e-6);
      const py = await scoreInPython(bytes, table);
      expect(py.outputs.label!.values).toEqual(["from p", "zero", "from p", "from q"]);
      expect(maxAbsDiff(py.outputs.probabilities!.values as number[], proba)).toBeLessThan(1e-6);
    },
    SLOW,
  );
});

describe("what cannot be exported is refused, naming it", () => {
  const linear = (names: string[]): OnnxGraphPiece => {
    const b = new PieceBuilder();
    const x = b.input(tensorInfo(FEATURES, "float", [BATCH_DIM, names.length]));
    const y = b.op("ReduceSum", [x, b.int64s("axes", [1])], { keepdims: attr.int(0) });
    b.node("Identity", [y], [b.outputName(PREDICTION)]);
    b.output(tensorInfo(PREDICTION, "float", [BATCH_DIM]));
    return b.finish({ feature_names: names });
  };

  it("a datetime input column", () => {
    const err = (() => {
      try {
        composeModel({
          problem_type: "regression",
          model: linear(["when"]),
          feature_names: ["when"],
          input_schema: [{ name: "when", type: "numeric", logical: "datetime", role: "feature" }],
        });
      } catch (e) {
        return e;
      }
    })();
    expect(OnnxExportError.isInstance(err)).toBe(true);
    expect((err as OnnxExportError).message).toMatch(/feature "when" is a datetime column.*data transformer/);
    expect((err as OnnxExportError).unsupported).toBe('feature "when" (datetime)');
  });

  it("a categorical column without a feature transformer", () => {
    expect(() =>
      composeModel({
        problem_type: "regression",
        model: linear(["island"]),
        feature_names: ["island"],
        input_schema: [{ name: "island", type: "categorical", role: "feature" }],
      }),
    ).toThrow(/feature "island" is categorical.*feature_transformer/);
  });

  it("a model feature that the feature transformer does not produce", () => {
    const f = new PieceBuilder();
    const a = f.input(tensorInfo("a", "float", [BATCH_DIM, 1]));
    f.node("Identity", [a], [f.outputName(FEATURES)]);
    f.output(tensorInfo(FEATURES, "float", [BATCH_DIM, 1]));
    expect(() =>
      composeModel({
        problem_type: "regression",
        model: linear(["a", "b"]),
        feature_names: ["a", "b"],
        features: f.finish({ feature_names: ["a"] }),
      }),
    ).toThrow(/reads feature "b" that the feature transformer does not produce/);
  });
});
