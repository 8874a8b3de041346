/**
 * @lolpop/mlflow: `MLflowMetadataTracker` and `MLflowModelRepository` against an MLflow server,
 * through a typed REST client on Node's fetch. Importing this module registers the plugin; no
 * request is made until a component is used.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { defineMlflowMetadataTracker } from "./mlflow-metadata-tracker.js";
import { defineMlflowModelRepository } from "./mlflow-model-repository.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The `MLflowMetadataTracker` component definition (kind `metadata_tracker`). */
export const mlflowMetadataTracker = defineMlflowMetadataTracker(pkg);

/** The `MLflowModelRepository` component definition (kind `model_repository`). */
export const mlflowModelRepository = defineMlflowModelRepository(pkg);

/** The @lolpop/mlflow plugin (registered on import). */
export const mlflowPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [mlflowMetadataTracker, mlflowModelRepository],
  }),
);

export default mlflowPlugin;

// What users and plugin authors need: the components (and factories to use them without a
// workflow), their config types and schemas, the REST client with its option and response types,
// and the names MLflow sees (tags, artifact path, bundle format). The transport, the request
// limits and validation, and the REST <-> lolpop mappings stay private.
export {
  collectPages,
  isMlflowError,
  MlflowClient,
  type MlflowClientOptions,
  type SearchRegistryOptions,
  type SearchRunsOptions,
} from "./mlflow-client.js";
export {
  createMlflowMetadataTracker,
  MLFLOW_TAGS,
  type MlflowMetadataTracker,
  type MlflowMetadataTrackerConfig,
  type MlflowMetadataTrackerOptions,
  mlflowMetadataTrackerConfigSchema,
} from "./mlflow-metadata-tracker.js";
export {
  BUNDLE_FORMAT,
  createMlflowModelRepository,
  type MlflowModelRepository,
  type MlflowModelRepositoryConfig,
  type MlflowModelRepositoryOptions,
  MODEL_ARTIFACT_PATH,
  mlflowModelRepositoryConfigSchema,
} from "./mlflow-model-repository.js";
export type {
  MlflowAuth,
  MlflowConnectionConfig,
  MlflowConnectionSettings,
  MlflowRetryPolicy,
} from "./mlflow-settings.js";
export type * from "./mlflow-types.js";
export { LOLPOP_FLAVOR, MLMODEL_FILE } from "./mlmodel.js";
