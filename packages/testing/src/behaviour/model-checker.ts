/** Behaviour checks of a `model_checker`. */
import type { ModelChecker, TrainedModel } from "@lolpop/core";
import { sampleLabeledData } from "../sample-data.js";
import { type BehaviourEnv, checkReport, type NamedCheck } from "./support.js";

export function modelCheckerChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "check_model returns a report for a model and labeled data",
      run: async () => {
        const c = (await env.create()) as ModelChecker;
        const d = sampleLabeledData("classification");
        const classes = d.classes!;
        const model: TrainedModel = {
          trainer: "ConformanceMajorityModel",
          problem_type: "classification",
          params: {},
          feature_names: d.valid.X.columnNames,
          classes,
          predict: async (X) => ({
            problem_type: "classification",
            classes,
            labels: new Int32Array(X.numRows),
            proba: Float64Array.from({ length: X.numRows * classes.length }, (_, i) =>
              i % classes.length === 0 ? 1 : 0,
            ),
          }),
          save: async () => undefined,
        };
        checkReport(await c.check_model(model, { ...d.valid, split: "valid" }), "check_model");
      },
    },
  ];
}
