/** Behaviour checks of a `hyperparameter_tuner`. */
import type { HyperparameterTuner } from "@lolpop/core";
import { sampleLabeledData } from "../sample-data.js";
import { type BehaviourEnv, checkPredictions, expectThat, type NamedCheck } from "./support.js";

export function hyperparameterTunerChecks(env: BehaviourEnv): NamedCheck[] {
  return env.problemTypes.map((pt) => ({
    name: `run_experiment (${pt}) returns trials and a winning model`,
    run: async () => {
      const c = (await env.create()) as HyperparameterTuner;
      const d = sampleLabeledData(pt);
      const r = await c.run_experiment({
        problem_type: pt,
        train: d.train,
        valid: d.valid,
        ...(d.classes ? { classes: d.classes } : {}),
        perf_metric: pt === "classification" ? "f1_macro" : "rmse",
        seed: 42,
      });
      expectThat(
        Array.isArray(r.trials) && r.trials.length > 0,
        "run_experiment must return at least one trial",
      );
      for (const t of r.trials) {
        expectThat(typeof t.trainer === "string", "every trial names its trainer");
        expectThat(t.metrics && typeof t.metrics === "object", "every trial has metrics by split");
      }
      expectThat(r.best && typeof r.best.model?.predict === "function", "best.model must be a TrainedModel");
      checkPredictions(
        await r.best.model.predict(d.valid.X),
        d.valid.X.numRows,
        pt,
        d.classes,
        "best.model.predict",
      );
    },
  }));
}
