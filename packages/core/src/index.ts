/**
 * @lolpop/core: component contracts, the plugin registry, validated YAML config and the engine.
 * Importing it records this copy (version and path) in the process-wide registry, so a second copy
 * of core in one process can be reported.
 */
import { recordCoreCopy } from "./registry.js";
import { CORE_VERSION } from "./version.js";

recordCoreCopy({ version: CORE_VERSION, path: import.meta.url });

export * from "./blob-store.js";
export * from "./bundle/index.js";
export { didYouMean, editDistance, FIRST_PARTY_TYPES } from "./catalog.js";
// The model-export rules (and the errors and kit rules `@lolpop/core/checks` shares with this entry).
export * from "./checks.js";
export {
  applyConfigOverrides,
  type ConfigOverride,
  parseConfigOverride,
} from "./config/overrides.js";
export {
  type ComponentPlan,
  type PipelinePlan,
  planFromSource,
  planWorkflow,
  type WorkflowPlan,
} from "./config/plan.js";
export { type ResolvedConfig, resolveConfig } from "./config/resolve.js";
export { type ConfigSource, loadConfigFile, parseConfigText } from "./config/yaml-source.js";
export * from "./contracts.js";
export {
  type CallInfo,
  createWorkflow,
  type EngineOptions,
  type Hook,
  type Middleware,
  uncancellable,
  type Workflow,
} from "./engine.js";
export * from "./errors.js";
export * from "./forecasting.js";
export * from "./kit/index.js";
export {
  createLineageRecorder,
  gitInfo,
  hashValue,
  type Lineage,
  type LineageModel,
  type LineageRecorder,
  stableStringify,
} from "./lineage.js";
export {
  type LoadedProject,
  type LoadProjectOptions,
  loadProject,
  type PluginFailure,
  type ProjectPlugins,
  typesUsed,
} from "./load-project.js";
export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
  silentLogger,
} from "./logger.js";
export {
  COMMAND_NAME,
  checkManifestCommands,
  defineCommand,
  inspectManifest,
  type ManifestCheck,
  type ManifestCommand,
  type ManifestCore,
  type PluginCommandContext,
  type PluginCommandDiscoverOptions,
  type PluginCommandFunction,
  type PluginCommandPlugin,
  type PluginCommandPlugins,
} from "./manifest.js";
export {
  formatModelRef,
  type ModelRef,
  parseModelRef,
  parseModelVersion,
  resolveModelRef,
} from "./model-ref.js";
export type {
  OnnxAttribute,
  OnnxElementType,
  OnnxExportOptions,
  OnnxGraphPiece,
  OnnxNode,
  OnnxTensor,
  OnnxTensorData,
  OnnxValueInfo,
} from "./onnx-piece.js";
export * from "./orchestrator.js";
export {
  type AnyDefinition,
  type BaseContext,
  type ComponentContext,
  type ConfigCheckInfo,
  type ConfigCheckIssue,
  type Definition,
  defineComponent,
  definePipeline,
  definePlugin,
  defineRunner,
  type EnvironmentCheckInfo,
  type EnvironmentIssue,
  isDefinition,
  isPlugin,
  type JsonSchema,
  type PipelineContext,
  type PipelineInstance,
  type PlanCheck,
  type PlanComponentView,
  type PlanIssue,
  type PlanView,
  type Plugin,
  type ProjectInfo,
  type RunnerContext,
  type RunnerInstance,
} from "./plugin.js";
export {
  configSchemasOf,
  describePlugin,
  isDescribedPlugin,
  type TypeCodeChecks,
  usableValidationData,
  VALIDATION_DATA_FORMAT,
  type ValidationChecks,
  type ValidationData,
  type ValidationTypeData,
  validationDataOf,
} from "./plugin-description.js";
export { isSecretKey, REDACTED, redactText, redactValue, registerSecret } from "./redact.js";
export {
  assertPlugin,
  type CoreCopy,
  checkManifest,
  coreCopies,
  getPlugin,
  listConflicts,
  listPlugins,
  listTypes,
  type PluginManifest,
  type RegisteredType,
  registerPlugin,
  resetRegistry,
  resolveType,
  unregisterPlugin,
} from "./registry.js";
export * from "./reproduce-record.js";
export {
  instantiateComponent,
  type StandaloneHostOptions,
  type StandaloneOptions,
  standaloneHost,
} from "./standalone.js";
export * from "./step-cache.js";
export * from "./step-cache-run.js";
export {
  asCategorical,
  type CategoricalColumn,
  type Column,
  type ColumnInput,
  type ColumnRole,
  type ColumnSchema,
  categoricalColumn,
  categoricalFromCodes,
  categoricalFromText,
  cellValue,
  columnLength,
  isMissing,
  type NumericColumn,
  type NumericLogicalType,
  numericColumn,
  Table,
  type TableOptions,
  toColumn,
} from "./table.js";
export { tableChunks, tableFromBytes, tableToBytes } from "./table-bytes.js";
export { CORE_VERSION, PLUGIN_API_VERSION } from "./version.js";
export { loadWorkflow, validateConfigFile, validateConfigText } from "./workflow.js";
