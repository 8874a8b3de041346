/**
 * Behaviour checks per component kind: each calls the contract the way a workflow does and checks
 * what comes back (shapes, invariants, round trips). They throw a {@link ConformanceError} naming
 * what is wrong. One file per kind in `behaviour/`; the shared checks are in `behaviour/support.ts`.
 */

import { dataCheckerChecks } from "./behaviour/data-checker.js";
import { dataConnectorChecks } from "./behaviour/data-connector.js";
import { dataProfilerChecks } from "./behaviour/data-profiler.js";
import { dataSplitterChecks } from "./behaviour/data-splitter.js";
import { dataTransformerChecks } from "./behaviour/data-transformer.js";
import { featureTransformerChecks } from "./behaviour/feature-transformer.js";
import { hyperparameterTunerChecks } from "./behaviour/hyperparameter-tuner.js";
import { loggerChecks } from "./behaviour/logger.js";
import { metadataTrackerChecks } from "./behaviour/metadata-tracker.js";
import { modelCheckerChecks } from "./behaviour/model-checker.js";
import { modelRepositoryChecks } from "./behaviour/model-repository.js";
import { modelTrainerChecks } from "./behaviour/model-trainer.js";
import { notifierChecks } from "./behaviour/notifier.js";
import type { BehaviourEnv, NamedCheck } from "./behaviour/support.js";

export { type BehaviourEnv, ConformanceError, expectThat, type NamedCheck } from "./behaviour/support.js";

const BY_KIND: Record<string, (env: BehaviourEnv) => NamedCheck[]> = {
  data_connector: dataConnectorChecks,
  data_transformer: dataTransformerChecks,
  data_splitter: dataSplitterChecks,
  feature_transformer: featureTransformerChecks,
  model_trainer: modelTrainerChecks,
  hyperparameter_tuner: hyperparameterTunerChecks,
  metadata_tracker: metadataTrackerChecks,
  model_repository: modelRepositoryChecks,
  data_checker: dataCheckerChecks,
  data_profiler: dataProfilerChecks,
  model_checker: modelCheckerChecks,
  notifier: notifierChecks,
  logger: loggerChecks,
};

/** The behaviour checks of a kind (none for a kind core does not define). */
export function behaviourChecks(kind: string, env: BehaviourEnv): NamedCheck[] {
  return BY_KIND[kind]?.(env) ?? [];
}
