import {
  ConfigError,
  type ConfigIssue,
  checkClassWeight,
  classWeightForRegression,
  classWeights,
} from "../index.js";

describe("checkClassWeight", () => {
  const check = (value: unknown, rules?: Parameters<typeof checkClassWeight>[3]) => {
    const issues: ConfigIssue[] = [];
    const ok = checkClassWeight(value, "t.class_weight", issues, rules);
    return { ok, issues };
  };

  it("accepts null, balanced, the trainer's own modes and a mapping of weights", () => {
    expect(check(null).ok).toBe(true);
    expect(check("balanced").ok).toBe(true);
    expect(check({ a: 2, b: 0.5 }).ok).toBe(true);
    expect(check("balanced_subsample", { modes: ["balanced_subsample"] }).ok).toBe(true);
    expect(check({ a: 0 }, { allowZero: true }).ok).toBe(true);
  });

  it("names what is accepted, and each bad weight at its own path", () => {
    expect(check("balanced_subsample").issues).toEqual([
      {
        code: "invalid_value",
        path: "t.class_weight",
        message:
          'class_weight must be null, "balanced" or a mapping from class label to a weight > 0, got "balanced_subsample"',
      },
    ]);
    expect(check([1, 2], { modes: ["balanced_subsample"], allowZero: true }).issues[0]!.message).toBe(
      'class_weight must be null, "balanced", "balanced_subsample" or a mapping from class label to a weight >= 0, got [1,2]',
    );
    const { ok, issues } = check({ a: 0, b: -1, c: "x", d: 3 });
    expect(ok).toBe(false);
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ["t.class_weight.a", 'the weight of class "a" must be a number > 0, got 0'],
      ["t.class_weight.b", 'the weight of class "b" must be a number > 0, got -1'],
      ["t.class_weight.c", 'the weight of class "c" must be a number > 0, got "x"'],
    ]);
  });
});

test("classWeightForRegression: an issue only when a regression sets class_weight", () => {
  expect(classWeightForRegression("balanced", "regression", "p")).toEqual({
    code: "invalid_value",
    path: "p",
    message: "class_weight only applies to classification; remove it for regression",
  });
  expect(classWeightForRegression(null, "regression", "p")).toBeUndefined();
  expect(classWeightForRegression("balanced", "classification", "p")).toBeUndefined();
  expect(classWeightForRegression("balanced", undefined, "p")).toBeUndefined();
});

describe("classWeights", () => {
  const codes = Int32Array.from([0, 0, 0, 1]);

  it("is undefined for null, and 1 for classes a mapping does not name", () => {
    expect(classWeights(null, ["a", "b"], codes, "p")).toBeUndefined();
    expect(classWeights({ b: 3 }, ["a", "b"], codes, "p")).toEqual(Float64Array.from([1, 3]));
  });

  it("balanced: rows / (classes present x rows of the class), as scikit-learn's compute_class_weight", () => {
    // 4 rows, 2 classes: a = 4 / (2 * 3), b = 4 / (2 * 1).
    expect(classWeights("balanced", ["a", "b"], codes, "p")).toEqual(Float64Array.from([4 / 6, 2]));
    // A class absent from the rows weighs 1 and does not count as present.
    expect(classWeights("balanced", ["a", "b", "c"], codes, "p")).toEqual(Float64Array.from([4 / 6, 2, 1]));
  });

  it("a mapping naming labels outside the classes is a ConfigError at the setting's path", () => {
    try {
      classWeights(
        { z: 2, b: 1 },
        ["a", "b"],
        codes,
        "train.model_trainer.config.training_params.class_weight",
      );
      throw new Error("expected a ConfigError");
    } catch (e) {
      expect(ConfigError.isInstance(e)).toBe(true);
      expect((e as ConfigError).issues).toEqual([
        {
          code: "invalid_value",
          path: "train.model_trainer.config.training_params.class_weight",
          message: 'class_weight names label(s) "z" that are not among the classes "a", "b"',
        },
      ]);
    }
  });
});
