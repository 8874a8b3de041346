/**
 * Helpers shared by the two components: building a client from a component context, and the
 * experiment name default.
 */
import { basename } from "node:path";
import {
  type ComponentContext,
  type ConfigCheckInfo,
  type ConfigCheckIssue,
  configIssuesOf,
} from "@lolpop/core";
import { MlflowClient } from "./mlflow-client.js";
import { MLFLOW_LIMITS } from "./mlflow-limits.js";
import {
  CONNECTION_SCHEMA_PROPERTIES,
  type MlflowConnectionConfig,
  resolveConnectionSettings,
} from "./mlflow-settings.js";

/** Name and version of this package (sent as user agent, written into MLmodel files). */
export interface PackageInfo {
  name: string;
  version: string;
}

/**
 * Builds a client from a component's validated config and the environment. With `cancellable`,
 * requests and retry waits stop when the workflow is cancelled; the tracker's client is not, so a
 * cancelled workflow can still send its buffered metrics and end its runs as KILLED.
 */
export function clientFromContext(
  ctx: ComponentContext<MlflowConnectionConfig>,
  pkg: PackageInfo,
  options: { cancellable: boolean },
): MlflowClient {
  const settings = resolveConnectionSettings(ctx.config, { configPath: `${ctx.path}.config` });
  return new MlflowClient({
    settings,
    logger: ctx.logger,
    ...(options.cancellable ? { signal: ctx.signal } : {}),
    userAgent: `${pkg.name}/${pkg.version}`,
  });
}

/**
 * The components' `checkConfig`: the connection settings resolve (a tracking URI is set, from the
 * config or `MLFLOW_TRACKING_URI`, and is an http(s) URL; username and password come together;
 * the MLflow environment variables are numbers), so `lolpop validate` finds what building the
 * client would. Reads the environment, never the network.
 */
export function checkConnectionConfig(
  config: MlflowConnectionConfig,
  info: ConfigCheckInfo,
): ConfigCheckIssue[] {
  return configIssuesOf(info.path, () =>
    resolveConnectionSettings(config, { configPath: `${info.path}.config` }),
  );
}

/** Experiment name: the configured one, else `MLFLOW_EXPERIMENT_NAME`, else the project folder's name. */
export function defaultExperimentName(configured: string | null | undefined, projectRoot: string): string {
  const fromEnv = process.env.MLFLOW_EXPERIMENT_NAME;
  if (configured) return configured;
  if (fromEnv) return fromEnv;
  return basename(projectRoot) || "lolpop";
}

/**
 * The config schema of an MLflow component: the connection keys, `experiment_name` and
 * `restore_deleted_experiment` (with descriptions that say what the component uses the experiment
 * for), then the component's own keys.
 */
export function mlflowConfigSchema(
  descriptions: { experiment_name: string; restore: string },
  own: Record<string, Record<string, unknown>>,
) {
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      ...CONNECTION_SCHEMA_PROPERTIES,
      experiment_name: {
        type: ["string", "null"],
        maxLength: MLFLOW_LIMITS.experimentNameLength,
        default: null,
        description: descriptions.experiment_name,
      },
      restore_deleted_experiment: {
        type: "boolean",
        default: false,
        description: descriptions.restore,
      },
      ...own,
    },
  };
}
