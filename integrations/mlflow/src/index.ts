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

export {
  checkArtifactPath,
  collectPages,
  contentTypeOf,
  fromTagList,
  isMlflowError,
  isNotFound,
  listFilesRecursive,
  MlflowClient,
  type MlflowClientOptions,
  parseNumberTag,
  proxyPathOf,
  REQUEST_ID_TAG,
  type SearchRegistryOptions,
  type SearchRunsOptions,
  toTagList,
} from "./mlflow-client.js";
export {
  chunkLogBatch,
  encodeJson,
  filterClause,
  type KeyKind,
  keyProblem,
  type LogBatchChunk,
  MLFLOW_INVALID_REQUEST,
  MLFLOW_LIMITS,
  quoteFilterValue,
  validateAlias,
  validateKey,
  validateMetric,
  validateParam,
  validateRegistryTag,
  validateRunTag,
} from "./mlflow-limits.js";
export {
  createMlflowMetadataTracker,
  fromDatasetInput,
  MLFLOW_TAGS,
  type MlflowMetadataTracker,
  type MlflowMetadataTrackerConfig,
  type MlflowMetadataTrackerOptions,
  mlflowMetadataTrackerConfigSchema,
  toDatasetInput,
  toRunInfo,
} from "./mlflow-metadata-tracker.js";
export {
  BUNDLE_FORMAT,
  createMlflowModelRepository,
  type MlflowModelRepository,
  type MlflowModelRepositoryConfig,
  type MlflowModelRepositoryOptions,
  MODEL_ARTIFACT_PATH,
  mlflowModelRepositoryConfigSchema,
  toModelVersionInfo,
} from "./mlflow-model-repository.js";
export {
  CONNECTION_SCHEMA_PROPERTIES,
  type MlflowAuth,
  type MlflowConnectionConfig,
  type MlflowConnectionSettings,
  type MlflowRetryPolicy,
  type ResolveSettingsOptions,
  readCredentialsFile,
  resolveConnectionSettings,
} from "./mlflow-settings.js";
export {
  type MlflowRequest,
  MlflowTransport,
  type MlflowTransportOptions,
  RETRY_STATUSES,
  type ResponseKind,
} from "./mlflow-transport.js";
export * from "./mlflow-types.js";
export {
  LOLPOP_FLAVOR,
  type LolpopFlavor,
  MLMODEL_FILE,
  type MlmodelContent,
  mlflowUtcTime,
  renderMlmodel,
} from "./mlmodel.js";
