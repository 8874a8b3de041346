// The random forest trainer for the ML forecaster's tests (a dev dependency; any regression
// model_trainer works the same way).
import { instantiateComponent, type ModelTrainer } from "@lolpop/core";
import { randomForestModelTrainer } from "@lolpop/random-forest";

/** A RandomForestModelTrainer (histogram engine, one thread: tests share the machine). */
export async function randomForestTrainer(
  trainingParams: Record<string, unknown> = {},
): Promise<ModelTrainer> {
  return (await instantiateComponent(randomForestModelTrainer, {
    config: { n_jobs: 1, training_params: { n_estimators: 50, ...trainingParams } },
  })) as ModelTrainer;
}
