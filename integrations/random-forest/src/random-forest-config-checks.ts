/**
 * The code checks of RandomForestModelTrainer (its `training_params` and engine parameters, which
 * JSON Schema cannot express), in a module of their own: the definition uses these functions, and
 * the package's `lolpop.configChecks` entry exports them as `configChecks`, so `lolpop validate`
 * runs them without importing the trainer and its engines. Imports core's checks entry
 * (`@lolpop/core/checks`, not all of core) and the params module only.
 */
import { type ConfigCheckInfo, type ConfigCheckIssue, configIssuesOf } from "@lolpop/core/checks";
import {
  checkEngineParams,
  DEFAULT_ENGINE,
  RANDOM_FOREST_TRAINER_TYPE,
  type RandomForestTrainerConfig,
  resolveTrainingParams,
} from "./random-forest-params.js";

/** Checks `training_params` and the engine's own parameters. @throws ConfigError at their YAML paths. */
export function checkTrainerConfig(config: RandomForestTrainerConfig, path: string): void {
  const resolved = resolveTrainingParams(config.training_params, undefined, path);
  checkEngineParams(config.engine ?? DEFAULT_ENGINE, resolved.params, undefined, path);
}

/** {@link checkTrainerConfig} as config issues (what validation reports at file:line). */
export function checkRandomForestConfig(
  config: RandomForestTrainerConfig,
  info: ConfigCheckInfo,
): readonly ConfigCheckIssue[] {
  return configIssuesOf(info.path, () => checkTrainerConfig(config, info.path));
}

/** The code checks by type, as `lolpop validate` imports them (`lolpop.configChecks`). */
export const configChecks = {
  [RANDOM_FOREST_TRAINER_TYPE]: { checkConfig: checkRandomForestConfig },
};
