/**
 * @lolpop/testing: the conformance kit for lolpop plugin authors (a test suite to run against each
 * component and plugin package), sample data, and helpers to run a workflow in a temp project.
 * A library for tests, not a plugin: importing it registers nothing.
 */
export {
  type BehaviourEnv,
  behaviourChecks,
  ConformanceError,
  expectThat,
  type NamedCheck,
} from "./behaviour.js";
export {
  type ConformanceCheck,
  type ConformanceOptions,
  checkComponent,
  conformanceChecks,
  describeConformance,
  globalTestApi,
  type TestApi,
  wrongValue,
} from "./conformance.js";
export { CONTRACT_METHODS, contractMethods } from "./contracts.js";
export { describePluginPackage, type PluginPackageOptions, pluginPackageChecks } from "./plugin-package.js";
export {
  SAMPLE_CLASSES,
  SAMPLE_INDEX,
  SAMPLE_TARGET,
  type SampleOptions,
  sampleFitInput,
  sampleLabeledData,
  sampleTable,
  writeCsv,
} from "./sample-data.js";
export {
  createTempProject,
  type RunWorkflowOptions,
  type RunWorkflowResult,
  runWorkflow,
  type TempProject,
  type TempProjectOptions,
  writeSampleData,
} from "./workflow.js";
