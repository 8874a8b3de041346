// The native scorer on hand-written CatBoost JSON models (no Python), checked against values worked
// out by hand from CatBoost's documented evaluation rules.
import {
  type CatBoostJsonModel,
  compileCatBoostJson,
  outputTransformFor,
  transformRaw,
  WASM_ENV,
} from "./catboost-json-scorer.js";

/** Two float features; one oblivious tree of depth 2 and one of depth 1; scale 2, bias 0.5. */
const model: CatBoostJsonModel = {
  features_info: {
    float_features: [
      { feature_index: 0, flat_feature_index: 0, borders: [0.5, 1.5], nan_value_treatment: "AsFalse" },
      { feature_index: 1, flat_feature_index: 1, borders: [10], nan_value_treatment: "AsTrue" },
    ],
  },
  oblivious_trees: [
    {
      // bit0: x0 > 0.5, bit1: x1 > 10
      splits: [
        { split_type: "FloatFeature", float_feature_index: 0, border: 0.5 },
        { split_type: "FloatFeature", float_feature_index: 1, border: 10 },
      ],
      leaf_values: [1, 2, 3, 4],
    },
    { splits: [{ split_type: "FloatFeature", float_feature_index: 0, border: 1.5 }], leaf_values: [0, 10] },
  ],
  scale_and_bias: [2, [0.5]],
};

function compile(m: CatBoostJsonModel) {
  const r = compileCatBoostJson(m);
  if (!r.ok) throw new Error(r.reason);
  return r.scorer;
}

describe("compileCatBoostJson", () => {
  it("applies oblivious trees: strict float32 comparison, split 0 is the low bit, NaN treatment, scale and bias", () => {
    const s = compile(model);
    expect(s).toMatchObject({ featureCount: 2, dimension: 1, treeCount: 2, treeKind: "oblivious" });
    const x0 = Float64Array.from([0, 0.5, 0.5000001, 2, Number.NaN, 2]);
    const x1 = Float64Array.from([0, 11, 10, 10, 11, Number.NaN]);
    // leaf(tree0) = (x0>0.5) + 2*(x1>10); tree1 = 10*(x0>1.5); NaN x0 -> false, NaN x1 -> true.
    const expected = [1, 3, 2, 2 + 10, 3, 4 + 10].map((v) => 2 * v + 0.5);
    expect(Array.from(s.raw([x0, x1], 6))).toEqual(expected);
  });

  it("compares in float32: a value that rounds to the border is not above it", () => {
    const border = Math.fround(0.1); // 0.10000000149011612
    const s = compile({
      features_info: { float_features: [{ feature_index: 0, flat_feature_index: 0, borders: [border] }] },
      oblivious_trees: [{ splits: [{ float_feature_index: 0, border }], leaf_values: [0, 1] }],
    });
    // 0.1000000001 > border in float64, but float32(0.1000000001) === border.
    expect(Array.from(s.raw([Float64Array.from([0.1000000001, 0.2])], 2))).toEqual([0, 1]);
  });

  it("applies non-symmetric trees (bit 1 goes right) with multi-dimensional leaves", () => {
    const s = compile({
      features_info: { float_features: [{ feature_index: 0, flat_feature_index: 0, borders: [0, 5] }] },
      trees: [
        {
          split: { float_feature_index: 0, border: 0 },
          left: { value: [1, 0] },
          right: {
            split: { float_feature_index: 0, border: 5 },
            left: { value: [0, 1] },
            right: { value: [2, 2] },
          },
        },
      ],
      scale_and_bias: [1, [0, 1]],
    });
    expect(s.treeKind).toBe("non-symmetric");
    expect(Array.from(s.raw([Float64Array.from([-1, 3, 9])], 3))).toEqual([1, 1, 0, 2, 2, 3]);
  });

  it("refuses what it cannot score, with a reason", () => {
    expect(
      compileCatBoostJson({
        ...model,
        features_info: { ...model.features_info, categorical_features: [{}] },
      }),
    ).toEqual({
      ok: false,
      reason: expect.stringMatching(/categorical features/),
    });
    expect(compileCatBoostJson({ ...model, features_info: { ...model.features_info, ctrs: [{}] } }).ok).toBe(
      false,
    );
    const oneHot = structuredClone(model);
    oneHot.oblivious_trees![0]!.splits[0] = { split_type: "OneHotFeature" };
    expect(compileCatBoostJson(oneHot)).toEqual({ ok: false, reason: "the model has OneHotFeature splits" });
    expect(compileCatBoostJson({ features_info: {} })).toEqual({
      ok: false,
      reason: "the model has neither oblivious_trees nor trees",
    });
  });
});

/** A seeded random model: float features with the given border counts, oblivious trees of the given depths. */
function randomModel(borderCounts: number[], depths: number[], dim: number, seed: number): CatBoostJsonModel {
  let s = seed;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const float_features = borderCounts.map((m, f) => ({
    feature_index: f,
    flat_feature_index: f,
    // increasing float32 borders over about [-3, 3]
    borders: Array.from({ length: m }, (_, i) => Math.fround(-3 + (6 * (i + 0.5)) / m)),
    nan_value_treatment: f % 2 ? "AsTrue" : "AsFalse",
  }));
  const oblivious_trees = depths.map((d) => ({
    splits: Array.from({ length: d }, () => {
      const f = Math.floor(rand() * borderCounts.length);
      const b = float_features[f]!.borders;
      return {
        split_type: "FloatFeature",
        float_feature_index: f,
        border: b[Math.floor(rand() * b.length)]!,
      };
    }),
    leaf_values: Array.from({ length: 2 ** d * dim }, () => rand() - 0.5),
  }));
  return { features_info: { float_features }, oblivious_trees, scale_and_bias: [1.5, Array(dim).fill(0.25)] };
}

/** CatBoost's evaluation rule written out one row, tree and split at a time (the reference). */
function reference(m: CatBoostJsonModel, columns: Float64Array[], n: number, dim: number): Float64Array {
  const feats = m.features_info!.float_features!;
  const out = new Float64Array(n * dim);
  for (let r = 0; r < n; r++) {
    const sum = new Float64Array(dim);
    for (const tree of m.oblivious_trees!) {
      let idx = 0;
      tree.splits.forEach((sp, d) => {
        const f = feats[sp.float_feature_index!]!;
        const v = columns[f.flat_feature_index]![r]!;
        const bit = Number.isNaN(v) ? f.nan_value_treatment === "AsTrue" : Math.fround(v) > sp.border!;
        if (bit) idx |= 1 << d;
      });
      for (let k = 0; k < dim; k++) sum[k]! += tree.leaf_values[idx * dim + k]!;
    }
    for (let k = 0; k < dim; k++) out[r * dim + k] = 1.5 * sum[k]! + 0.25;
  }
  return out;
}

describe("oblivious scoring over row blocks equals the one-row-at-a-time rule", () => {
  const n = 2503; // several blocks, the last one not a multiple of four rows
  let s = 7;
  const rand = () => {
    s = (Math.imul(s, 22695477) + 1) >>> 0;
    return s / 4294967296;
  };
  const columns = Array.from({ length: 5 }, () =>
    Float64Array.from({ length: n }, () => (rand() < 0.05 ? Number.NaN : (rand() - 0.5) * 7)),
  );
  it.each([
    ["depth 6, one output, features with up to 254 borders", [3, 127, 128, 200, 254], [6, 6, 6, 6, 6, 6], 1],
    ["depths 1 to 8, three outputs", [1, 40, 150, 254, 9], [1, 2, 3, 4, 5, 6, 7, 8, 6], 3],
    ["mixed depths, one output", [20, 130, 2, 254, 60], [8, 6, 2, 6, 7, 0], 1],
    ["a feature with more than 254 borders (bins of 16 bits)", [300, 20, 5, 254, 1000], [6, 6, 4, 8], 2],
    [
      "255 borders (the NaN bin of AsTrue is 255), depths 0 to 8, one output",
      [255, 255, 1, 128, 7],
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
      1,
    ],
  ])("%s", (_name, borders, depths, dim) => {
    const m = randomModel(borders, depths, dim, 99);
    expect(Array.from(compile(m).raw(columns, n))).toEqual(Array.from(reference(m, columns, n, dim)));
  });

  describe(`the WebAssembly SIMD kernel and the JavaScript path (${WASM_ENV}=0) give identical raw scores`, () => {
    const withEnv = <T>(value: string | undefined, fn: () => T): T => {
      const before = process.env[WASM_ENV];
      if (value === undefined) delete process.env[WASM_ENV];
      else process.env[WASM_ENV] = value;
      try {
        return fn();
      } finally {
        if (before === undefined) delete process.env[WASM_ENV];
        else process.env[WASM_ENV] = before;
      }
    };
    it.each([
      ["depth 6, 200 trees, features with 254 and 255 borders", [254, 255, 64, 3, 200], Array(200).fill(6)],
      ["depths 0 to 8", [255, 30, 1, 128, 7], [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 3]],
    ])("%s, row counts around the 16-row tiles and 1024-row blocks", (_name, borders, depths) => {
      const m = randomModel(borders, depths, 1, 5);
      const wasm = withEnv(undefined, () => compile(m));
      const js = withEnv("0", () => compile(m));
      expect(wasm.engine).toBe("wasm-simd");
      expect(js.engine).toBe("javascript");
      for (const rows of [1, 15, 16, 17, 1023, 1024, 1025, n]) {
        const a = wasm.raw(columns, rows);
        const b = js.raw(columns, rows);
        expect(a.length).toBe(rows);
        expect(Array.from(a)).toEqual(Array.from(b));
      }
    });
    it("models the kernel does not cover (several outputs, more than 255 borders) score in JavaScript", () => {
      expect(compile(randomModel([10, 20], [6, 6], 3, 1)).engine).toBe("javascript");
      expect(compile(randomModel([256, 20], [6, 6], 1, 1)).engine).toBe("javascript");
    });
  });
});

describe("output transforms", () => {
  it("maps loss functions to CatBoost's predict_proba / predict outputs", () => {
    expect(outputTransformFor("Logloss", "classification")).toBe("sigmoid");
    expect(outputTransformFor("MultiClass", "classification")).toBe("softmax");
    expect(outputTransformFor("Quantile:alpha=0.9", "regression")).toBe("raw");
    expect(outputTransformFor("Poisson", "regression")).toBe("exp");
    expect(outputTransformFor("YetiRank", "regression")).toBeUndefined();
  });

  it("sigmoid gives two columns, softmax sums to one", () => {
    expect(Array.from(transformRaw(Float64Array.from([0]), 1, 1, "sigmoid"))).toEqual([0.5, 0.5]);
    const p = transformRaw(Float64Array.from([1000, 0, -1000, 1, 2, 3]), 2, 3, "softmax");
    expect(p[0]).toBe(1);
    expect(p[3]! + p[4]! + p[5]!).toBeCloseTo(1, 15);
  });
});
