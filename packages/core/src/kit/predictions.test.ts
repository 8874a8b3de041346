import { classificationPredictions, DataError, regressionPredictions } from "../index.js";

describe("classificationPredictions", () => {
  it("labels each row with its most probable class, the first one on a tie", () => {
    const proba = Float64Array.from([0.2, 0.5, 0.3, 0.4, 0.4, 0.2, 0, 0, 1]);
    const classes = ["a", "b", "c"];
    const p = classificationPredictions(classes, proba, 3);
    expect(p).toEqual({
      problem_type: "classification",
      classes: ["a", "b", "c"],
      labels: Int32Array.from([1, 0, 2]),
      proba,
    });
    expect(p.classes).not.toBe(classes);
    expect(p.proba).toBe(proba);
  });

  it("labels a binary probability of exactly 0.5 with the first class", () => {
    const p = classificationPredictions(["no", "yes"], Float64Array.from([0.5, 0.5, 0.49, 0.51]), 2);
    expect(p.labels).toEqual(Int32Array.from([0, 1]));
  });

  it("rejects probabilities that are not rows x classes", () => {
    expect(() => classificationPredictions(["a", "b"], new Float64Array(5), 3)).toThrow(
      /class probabilities hold 5 values, expected rows x classes = 3 x 2/,
    );
    let error: unknown;
    try {
      classificationPredictions(["a", "b"], new Float64Array(5), 3);
    } catch (e) {
      error = e;
    }
    expect(DataError.isInstance(error) && error.code).toBe("bad_predictions");
    expect(classificationPredictions(["a", "b"], new Float64Array(0), 0).labels).toEqual(new Int32Array(0));
  });
});

test("regressionPredictions keeps the values", () => {
  const values = Float64Array.from([1.5, -2]);
  expect(regressionPredictions(values)).toEqual({ problem_type: "regression", values });
  expect(regressionPredictions(values).values).toBe(values);
});
