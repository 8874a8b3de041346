/**
 * @lolpop/temporal: run lolpop workflows on Temporal. Each step of a run is a Temporal activity
 * (retries, heartbeats, durable state); `lolpop worker` processes run them; `lolpop run
 * --orchestrator temporal`, `lolpop runs attach|cancel` drive runs from the CLI.
 *
 * A plugin that defines no component type: importing it registers the (empty) plugin; its manifest
 * lists the commands and the orchestrator. Nothing connects to Temporal until a command or
 * `TemporalOrchestrator.run` does.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/temporal plugin (registered on import): no types; commands and an orchestrator. */
export const temporalPlugin = registerPlugin(
  definePlugin({ name: pkg.name, version: pkg.version, components: [] }),
);

export default temporalPlugin;

export { type ActivityHost, createActivities } from "./temporal-activities.js";
export { temporalPlanIssues } from "./temporal-checks.js";
export { TemporalConfigError } from "./temporal-config-error.js";
export {
  isNonRetryable,
  runErrorFrom,
  type StepErrorDetails,
  stepErrorFrom,
  stepFailure,
} from "./temporal-failure.js";
export {
  connectTemporal,
  type FollowOptions,
  followRun,
  PROGRESS_QUERY,
  type TemporalHandle,
  TemporalOrchestrator,
  WORKFLOW_TYPE,
} from "./temporal-orchestrator.js";
export {
  connectionSecurity,
  TEMPORAL_STAGES,
  type TemporalConnectionSecurity,
  type TemporalRetrySettings,
  type TemporalSettings,
  type TemporalStepSettings,
  type TemporalTlsSettings,
  temporalSettings,
} from "./temporal-settings.js";
export { loadStepData, saveStepData } from "./temporal-step-data.js";
export {
  TRIALS_WORKFLOW_TYPE,
  type TrialsOrchestratorOptions,
  temporalTrialsOrchestrator,
} from "./temporal-trials.js";
export { type LolpopWorker, startWorker, type WorkerOptions } from "./temporal-worker.js";
export {
  type WorkerFlags,
  workerConnectionOptions,
  workerSettings,
} from "./temporal-worker-options.js";
export type {
  LolpopActivities,
  LolpopRunFailureDetails,
  LolpopRunInput,
  LolpopRunProgress,
  RunStageInput,
  RunStageOutput,
} from "./temporal-workflow-types.js";
