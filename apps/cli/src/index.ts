/** Programmatic API of the lolpop CLI: plugin discovery, schemas, project templates and the `main` entry. */

/** Type names a config uses (core's rule, kept here for code written against the CLI). */
export { typesUsed } from "@lolpop/core";
export { main, renderTestReport } from "./cli.js";
export {
  type CreateInProjectOptions,
  type CreatePluginOptions,
  createInProject,
  createPlugin,
  KIND_METHODS,
  kebabCase,
  pascalCase,
  pluginFiles,
} from "./create.js";
export {
  BUILTIN_COMMANDS,
  type CoreCopyInfo,
  checkManifestData,
  clearDiscoveryCache,
  type DiscoveredPlugin,
  type DiscoverOptions,
  type DiscoveryProblem,
  declaredPlugins,
  discoverPlugins,
  discoverProject,
  entryOf,
  findPackageRoot,
  type ManifestCheck,
  PackageNotFoundError,
  type PluginCommandSpec,
  type PluginSource,
  type ProjectDiscovery,
  resolveCoreFrom,
  resolvePackageDir,
  SUPPORTED_PLUGIN_API_VERSION,
} from "./discovery.js";
export { type DoctorCheck, type DoctorReport, parseRequirement, runDoctor } from "./doctor.js";
export { ExitError } from "./format.js";
export { handOff, localCliDir } from "./handoff.js";
export { type InitOptions, initProject, projectFiles, TEMPLATES, type Template } from "./init.js";
export { type LineageRun, lineageOf, type ModelLineage } from "./lineage-command.js";
export { componentInfos, importPlugin, loadPlugins } from "./loader.js";
export {
  type ApproveOutcome,
  approveVersion,
  championOf,
  type DeployOutcome,
  type PromoteOutcome,
  promoteVersion,
  type RollbackOutcome,
  rollbackModel,
} from "./models-actions.js";
export { versionComponentHost } from "./models-host.js";
export { openStore, type ProjectStore, requireMethod } from "./models-store.js";
export {
  defineCommand,
  type PluginCommandContext,
  type PluginCommandFunction,
} from "./plugin-commands.js";
export {
  type CompareRow,
  type CompareValue,
  compareRows,
  type RunView,
  readRunView,
  runsListFilter,
} from "./runs-command.js";
export {
  buildConfigSchema,
  type ComponentInfo,
  type ConfigKeyRow,
  configRows,
  typeText,
} from "./schemas.js";
export { trackerOf } from "./store-commands.js";
export { type RunOutcomeOptions, renderRunFailed, renderRunSucceeded, renderSummary } from "./summary.js";
export {
  type HookContext,
  type HookOnError,
  type HookResult,
  type HookSpec,
  parseTests,
  type TestReport,
} from "./workflow-test.js";
