/** Behaviour checks of a `model_trainer`. */
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ModelTrainer, TrainedModel } from "@lolpop/core";
import { sampleFitInput } from "../sample-data.js";
import {
  type BehaviourEnv,
  checkPredictions,
  expectThat,
  type NamedCheck,
  samePredictions,
} from "./support.js";

export function modelTrainerChecks(env: BehaviourEnv): NamedCheck[] {
  return env.problemTypes.flatMap((pt) => [
    {
      name: `fit and predict (${pt})`,
      run: async () => {
        const c = (await env.create()) as ModelTrainer;
        const input = sampleFitInput(pt);
        const model = await c.fit(input);
        expectThat(
          model && typeof model.predict === "function",
          "fit must return a TrainedModel with predict()",
        );
        expectThat(model.problem_type === pt, `model.problem_type is ${model.problem_type}, expected ${pt}`);
        expectThat(
          model.trainer === env.type,
          `model.trainer is ${JSON.stringify(model.trainer)}, expected "${env.type}"`,
        );
        expectThat(
          Array.isArray(model.feature_names) &&
            model.feature_names.join(",") === input.X.columnNames.join(","),
          `model.feature_names ${JSON.stringify(model.feature_names)} differ from the training columns`,
        );
        expectThat(model.params && typeof model.params === "object", "model.params must be an object");
        const valid = input.valid!;
        checkPredictions(await model.predict(valid.X), valid.X.numRows, pt, input.classes, "predict");
      },
    },
    {
      name: `save/load round trip (${pt}): the loaded model predicts the same`,
      run: async () => {
        const root = env.tmp();
        const c = (await env.create(root)) as ModelTrainer;
        const input = sampleFitInput(pt);
        const model: TrainedModel = await c.fit(input);
        const X = input.valid!.X;
        const before = await model.predict(X);
        const dir = join(root, "model");
        mkdirSync(dir, { recursive: true });
        await model.save(dir);
        expectThat(readdirSync(dir).length > 0, "TrainedModel.save wrote no file");
        const loaded = await ((await env.create(root)) as ModelTrainer).load(dir);
        expectThat(loaded.problem_type === pt, "the loaded model has another problem_type");
        expectThat(
          loaded.feature_names.join(",") === model.feature_names.join(","),
          "the loaded model has other feature_names",
        );
        samePredictions(before, await loaded.predict(X), "after save/load");
      },
    },
  ]);
}
