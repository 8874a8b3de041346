/** The methods each built-in component kind's contract requires (see `ComponentKinds` in @lolpop/core). */
export const CONTRACT_METHODS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  data_connector: ["get_data", "save_data"],
  data_transformer: ["transform"],
  data_splitter: ["split_data"],
  feature_transformer: ["fit", "transform", "fit_transform", "save", "load"],
  model_trainer: ["fit", "load"],
  hyperparameter_tuner: ["run_experiment"],
  metadata_tracker: [
    "start_run",
    "end_run",
    "log_params",
    "log_metrics",
    "log_tags",
    "log_artifact",
    "log_dataset",
    "get_run",
    "search_runs",
  ],
  model_repository: [
    "register_model",
    "get_model_version",
    "get_alias",
    "list_versions",
    "download_model",
    "promote_model",
    "approve_model",
    "check_approval",
  ],
  data_checker: ["check_data"],
  data_profiler: ["profile_data", "compare_data"],
  model_checker: ["check_model"],
  notifier: ["notify"],
  logger: ["log"],
});

/**
 * The contract methods of `kind`, or undefined for a kind core does not define (a plugin's own kind:
 * pass its methods in the conformance options).
 */
export function contractMethods(kind: string): readonly string[] | undefined {
  return CONTRACT_METHODS[kind];
}
