import { categoricalColumn, numericColumn } from "../index.js";
import { computeMetrics, metricNote, metricNotes } from "./index.js";

describe("metricNotes: why a metric value should not be read at face value", () => {
  it("explains MAPE over actual values that contain zeros", () => {
    const y = numericColumn([0, 2, 0, 4]);
    const pred = { problem_type: "regression" as const, values: Float64Array.from([1, 2, 1, 4]) };
    const values = computeMetrics(["mae", "mape"], y, pred);
    expect(values.mape).toBeGreaterThan(1e15);
    const notes = metricNotes(values, y, pred);
    expect(Object.keys(notes)).toEqual(["mape"]);
    expect(notes.mape).toMatch(/2 of 4 actual values are 0 .*mae or rmse/);
  });

  it("explains a NaN roc_auc_ovr by the class absent from the actual values", () => {
    const classes = ["a", "b", "c"];
    const y = categoricalColumn(["a", "b", "a", "b"]);
    const proba = Float64Array.from([0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.6, 0.2, 0.2, 0.3, 0.5, 0.2]);
    const pred = {
      problem_type: "classification" as const,
      classes,
      labels: Int32Array.from([0, 1, 0, 1]),
      proba,
    };
    const values = computeMetrics(["accuracy", "roc_auc_ovr"], y, pred);
    expect(values.roc_auc_ovr).toBeNaN();
    expect(metricNotes(values, y, pred)).toEqual({
      roc_auc_ovr: expect.stringMatching(/class "c" has no row in these actual values/),
    });
  });

  it("explains a binary roc_auc with one class, and says nothing about ordinary values", () => {
    const y = categoricalColumn(["yes", "yes"]);
    const pred = {
      problem_type: "classification" as const,
      classes: ["no", "yes"],
      labels: Int32Array.from([1, 1]),
      proba: Float64Array.from([0.2, 0.8, 0.4, 0.6]),
    };
    expect(metricNote("roc_auc", y, pred, Number.NaN)).toMatch(/only "yes" occurs/);
    expect(metricNote("accuracy", y, pred, 1)).toBeUndefined();
  });
});
