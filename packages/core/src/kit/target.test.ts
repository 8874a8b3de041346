import {
  categoricalColumn,
  checkProblemType,
  classesOf,
  classificationTarget,
  DataError,
  encodeClasses,
  fitTarget,
  numericColumn,
  regressionTarget,
} from "../index.js";

function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    if (DataError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a DataError");
}

describe("checkProblemType", () => {
  it("accepts classification and regression, names anything else", () => {
    expect(() => checkProblemType("classification")).not.toThrow();
    expect(() => checkProblemType("regression")).not.toThrow();
    const e = dataError(() => checkProblemType("ranking"));
    expect(e.code).toBe("invalid_problem_type");
    expect(e.message).toBe('problem_type must be "classification" or "regression", got "ranking"');
  });
});

describe("classesOf", () => {
  it("lists the labels present, sorted, skipping missing values and unused dictionary entries", () => {
    const y = categoricalColumn(["b", null, "a", "c", "a"]);
    expect(classesOf(y)).toEqual(["a", "b", "c"]);
    const codes = {
      type: "categorical" as const,
      codes: Int32Array.from([1, 1, -1]),
      dictionary: ["x", "y"],
    };
    expect(classesOf(codes)).toEqual(["y"]);
    expect(classesOf(numericColumn([1, 0, Number.NaN, 1]))).toEqual(["0", "1"]);
  });
});

describe("encodeClasses", () => {
  it("maps labels to indices in the order of the classes given", () => {
    expect(encodeClasses(categoricalColumn(["a", "b", "a"]), ["b", "a"])).toEqual(Int32Array.from([1, 0, 1]));
    expect(encodeClasses(numericColumn([0, 1, 1]), ["1", "0"])).toEqual(Int32Array.from([1, 0, 0]));
  });

  it("names missing rows (count and first row) and unknown labels", () => {
    const missing = dataError(() => encodeClasses(categoricalColumn(["a", null, null]), ["a", "b"]));
    expect(missing.code).toBe("missing_target");
    expect(missing.message).toBe(
      "the target has 2 missing value(s) (first at row 1); drop or fill those rows before training",
    );
    const unknown = dataError(() => encodeClasses(numericColumn([0, 2, 3]), ["0", "1"], "the valid target"));
    expect(unknown.code).toBe("unknown_class");
    expect(unknown.message).toBe(
      'the valid target has label(s) "2", "3" that are not among the classes "0", "1"',
    );
    expect(unknown.details).toEqual({ labels: ["2", "3"], classes: ["0", "1"] });
  });
});

describe("classificationTarget", () => {
  it("derives the classes when none are given and encodes the rows", () => {
    expect(classificationTarget(categoricalColumn(["y", "x", "y"]))).toEqual({
      classes: ["x", "y"],
      codes: Int32Array.from([1, 0, 1]),
    });
    // Given classes keep their order, and may include classes absent from the rows.
    expect(classificationTarget(categoricalColumn(["y", "x"]), ["y", "z", "x"]).codes).toEqual(
      Int32Array.from([0, 2]),
    );
  });

  it("rejects duplicate classes, fewer than two classes, and a single class among the rows", () => {
    expect(dataError(() => classificationTarget(categoricalColumn(["a"]), ["a", "a"])).code).toBe(
      "invalid_classes",
    );
    const one = dataError(() => classificationTarget(categoricalColumn(["a", "a"])));
    expect(one.code).toBe("too_few_classes");
    expect(one.message).toMatch(/at least 2 classes, got 1 \("a"\)/);
    const distinct = dataError(() => classificationTarget(categoricalColumn(["b", "b"]), ["a", "b"]));
    expect(distinct.message).toBe(
      'classification needs at least 2 distinct classes in the training target, but every row is "b"',
    );
  });
});

describe("regressionTarget and fitTarget", () => {
  it("returns the numbers, or names the categorical column and the non-finite rows", () => {
    const y = numericColumn([1.5, 2, 3]);
    expect(regressionTarget(y)).toBe(y.values);
    const cat = dataError(() => regressionTarget(categoricalColumn(["a", "b", "c", "d"])));
    expect(cat.code).toBe("non_numeric_target");
    expect(cat.message).toMatch(/the target is categorical \(values like "a", "b", "c"\)/);
    const bad = dataError(() => regressionTarget(numericColumn([1, Number.NaN, Number.POSITIVE_INFINITY])));
    expect(bad.message).toMatch(/^the target has 2 missing or infinite value\(s\) \(first at row 1\)/);
  });

  it("checks a FitInput's problem type and target together", () => {
    expect(fitTarget({ problem_type: "regression", y: numericColumn([1, 2]) })).toEqual({
      problem: "regression",
      target: Float64Array.from([1, 2]),
    });
    expect(
      fitTarget({ problem_type: "classification", y: numericColumn([1, 0]), classes: ["0", "1"] }),
    ).toEqual({
      problem: "classification",
      classes: ["0", "1"],
      target: Int32Array.from([1, 0]),
    });
    expect(
      dataError(() => fitTarget({ problem_type: "ranking" as "regression", y: numericColumn([1]) })).code,
    ).toBe("invalid_problem_type");
  });
});
