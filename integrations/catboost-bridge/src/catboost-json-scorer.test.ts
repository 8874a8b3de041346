// The native scorer on hand-written CatBoost JSON models (no Python), checked against values worked
// out by hand from CatBoost's documented evaluation rules.
import {
  type CatBoostJsonModel,
  compileCatBoostJson,
  outputTransformFor,
  transformRaw,
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
