/**
 * @lolpop/core: component contracts, the plugin registry, validated YAML config and the engine.
 * Importing it records this copy (version and path) in the process-wide registry, so a second copy
 * of core in one process can be reported.
 */
import { recordCoreCopy } from "./registry.js";
import { CORE_VERSION } from "./version.js";

recordCoreCopy({ version: CORE_VERSION, path: import.meta.url });

export { CORE_VERSION, PLUGIN_API_VERSION } from "./version.js";
export * from "./errors.js";
export * from "./contracts.js";
export {
  Table,
  numericColumn,
  categoricalColumn,
  categoricalFromCodes,
  toColumn,
  columnLength,
  cellValue,
  isMissing,
  type Column,
  type NumericColumn,
  type CategoricalColumn,
  type ColumnRole,
  type ColumnSchema,
  type ColumnInput,
  type NumericLogicalType,
  type TableOptions,
} from "./table.js";
export {
  definePlugin,
  defineComponent,
  definePipeline,
  defineRunner,
  isPlugin,
  isDefinition,
  type Plugin,
  type Definition,
  type AnyDefinition,
  type JsonSchema,
  type BaseContext,
  type ComponentContext,
  type PipelineContext,
  type RunnerContext,
  type PipelineInstance,
  type RunnerInstance,
  type ProjectInfo,
} from "./plugin.js";
export {
  registerPlugin,
  unregisterPlugin,
  listPlugins,
  getPlugin,
  listTypes,
  listConflicts,
  resolveType,
  resetRegistry,
  coreCopies,
  checkManifest,
  assertPlugin,
  type RegisteredType,
  type CoreCopy,
  type PluginManifest,
} from "./registry.js";
export { FIRST_PARTY_TYPES, didYouMean, editDistance } from "./catalog.js";
export { REDACTED, isSecretKey, registerSecret, redactText, redactValue } from "./redact.js";
export { createLogger, silentLogger, type Logger, type LogLevel, type LogFields, type LoggerOptions, type LogRecord } from "./logger.js";
export { createLineageRecorder, gitInfo, hashValue, stableStringify, type Lineage, type LineageRecorder } from "./lineage.js";
export { parseConfigText, loadConfigFile, type ConfigSource } from "./config/yaml-source.js";
export { resolveConfig, type ResolvedConfig } from "./config/resolve.js";
export { planWorkflow, planFromSource, type WorkflowPlan, type PipelinePlan, type ComponentPlan } from "./config/plan.js";
export { createWorkflow, type Workflow, type EngineOptions, type Middleware, type CallInfo, type Hook } from "./engine.js";
export { validateConfigFile, validateConfigText, loadWorkflow } from "./workflow.js";
export { instantiateComponent, type StandaloneOptions } from "./standalone.js";
