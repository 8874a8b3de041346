/**
 * Plugin and component definitions. A plugin package's entry does
 * `export default registerPlugin(definePlugin({...}))`: importing it registers its components.
 */

import type { ComponentKind, ComponentKinds, ProblemType } from "./contracts.js";
import { LolpopError } from "./errors.js";
import type { LineageRecorder } from "./lineage.js";
import type { Logger } from "./logger.js";
import type { Orchestrator } from "./orchestrator.js";
import { PLUGIN_API_VERSION } from "./version.js";

/** A JSON Schema (draft 2020-12 / draft-07 subset understood by ajv). */
export type JsonSchema = Record<string, unknown>;

/** Where the workflow lives on disk. */
export interface ProjectInfo {
  /** Project root: the config file's folder. */
  root: string;
  /** The config file, absolute. */
  configFile?: string;
  /** lolpop's state folder (default `<root>/.lolpop`). */
  stateDir: string;
}

/** What every component, pipeline and runner gets when created. */
export interface BaseContext<C = Record<string, unknown>> {
  /** Dotted path in the config, e.g. `train.model_trainer`, `train`, `runner`. */
  readonly path: string;
  /** The type name, e.g. `RandomForestModelTrainer`. */
  readonly type: string;
  /** Own config, validated against the type's schema with defaults applied; declared keys missing here are taken nearest-first from the pipeline's then the runner's `config`. */
  readonly config: C;
  /** Nearest-first lookup of any key: own config, then the pipeline's, then the runner's. */
  lookup<T = unknown>(key: string): T | undefined;
  /** The problem type set by the runner (`classification`, `regression`), when there is one. */
  readonly problemType?: ProblemType;
  /** Logger bound to this path. */
  readonly logger: Logger;
  /** Aborted when the run is cancelled. Long work should check it. */
  readonly signal: AbortSignal;
  /** Project folders. */
  readonly project: ProjectInfo;
  /** Records seeds, datasets and other lineage of the current run. */
  readonly lineage: LineageRecorder;
  /** Who runs the run's steps and trials (default: in this process, {@link inProcessOrchestrator}). */
  readonly orchestrator: Orchestrator;
  /** The component of `kind` in this scope (pipeline-local first, then global); throws when there is none. Resolve peers when you use them, not in `create`. */
  component<K extends ComponentKind>(kind: K): ComponentKinds[K];
  /** Like {@link component} but undefined when none is configured. */
  optionalComponent<K extends ComponentKind>(kind: K): ComponentKinds[K] | undefined;
  /** Type, path and validated config of the component of `kind` in this scope (to save with a model and rebuild it later). */
  componentInfo(kind: string):
    | {
        type: string;
        path: string;
        config: Record<string, unknown>;
        /** The plugin that provided the type, when known (components a workflow built). */
        plugin?: { name: string; version: string };
      }
    | undefined;
  /**
   * Whether a type of `kind` can be created with {@link createComponent}. When it is not registered
   * yet, the host (the lolpop CLI) is asked to import the installed plugin that provides it.
   */
  hasType(kind: string, type: string): Promise<boolean>;
  /** Creates a new component of a registered type on demand (tuners, reloading a saved model's trainer); config is validated like YAML config, and declared keys it lacks are inherited from the caller's pipeline and runner config (not from the caller's own config). */
  createComponent<K extends ComponentKind>(
    kind: K,
    type: string,
    config?: Record<string, unknown>,
  ): Promise<ComponentKinds[K]>;
  /**
   * Where a YAML path of the workflow's config file is, so a run-time error can point at it
   * (`file:line`, as `validate` does); undefined for a component made outside a config-built workflow.
   */
  locate(path: ReadonlyArray<string | number>): { file: string; line?: number; column?: number } | undefined;
  /** Sends a message to the workflow's notifier, if any (else logs it). */
  notify(
    message: string,
    level?: "info" | "warn" | "error",
    details?: Record<string, unknown>,
  ): Promise<void>;
}

/** Context of a component's `create`. */
export type ComponentContext<C = Record<string, unknown>> = BaseContext<C>;

/** Context of a pipeline's `create`. */
export interface PipelineContext<C = Record<string, unknown>> extends BaseContext<C> {
  /** Attribute names of this pipeline's local components. */
  readonly localComponents: readonly string[];
}

/** Context of a runner's `create`. */
export interface RunnerContext<C = Record<string, unknown>> extends BaseContext<C> {
  /** The pipeline configured under `name` (e.g. `train`); throws when there is none. */
  pipeline<T = PipelineInstance>(name: string): T;
  /** Like {@link pipeline} but undefined when none is configured. */
  optionalPipeline<T = PipelineInstance>(name: string): T | undefined;
  /** Names of the configured pipelines. */
  readonly pipelines: readonly string[];
  /** Runs each step of a run (default: in this process, {@link inProcessOrchestrator}). */
  readonly orchestrator: Orchestrator;
}

/** A pipeline or runner instance: an object of async methods. */
export type PipelineInstance = Record<string, unknown>;

/** A runner instance: async methods, at least `build_all`. */
export type RunnerInstance = Record<string, unknown> & { build_all?: (...args: never[]) => Promise<unknown> };

/** A component of a {@link PlanView}: where it is configured and its validated config. */
export interface PlanComponentView {
  /** Attribute name, usually the kind (`data_connector`). */
  attr: string;
  /** Dotted path, e.g. `predict.data_connector` (a global component: `metadata_tracker`). */
  path: string;
  kind: string;
  type: string;
  config: Record<string, unknown>;
}

/** The validated plan as a `checkPlan` sees it. */
export interface PlanView {
  runner: { type: string; config: Record<string, unknown> };
  /** Global components. */
  components: readonly PlanComponentView[];
  pipelines: ReadonlyArray<{
    attr: string;
    type: string;
    config: Record<string, unknown>;
    components: readonly PlanComponentView[];
  }>;
}

/** A problem a `checkPlan` found: the YAML path it is at (located in the file by the planner). */
export interface PlanIssue {
  path: Array<string | number>;
  code: string;
  message: string;
}

/**
 * Checks the whole validated plan for what a type's own config schema cannot see (a pipeline's
 * local components, two pipelines' configs that must agree). `self` is where the definition is
 * used. Runs at `validate` and before every run, only when the config is otherwise valid.
 */
export type PlanCheck = (plan: PlanView, self: { attr: string; path: string }) => PlanIssue[];

const DEFINITION_TYPE = "@lolpop/Definition";

/** One problem a {@link Definition.checkConfig} finds in a validated config. */
export interface ConfigCheckIssue {
  /** Key path inside the config section, e.g. `["split_ratio"]` or `["gates", 2, "threshold"]`. */
  path: ReadonlyArray<string | number>;
  /** What is wrong and what to do. */
  message: string;
  /** Machine readable kind of problem. Default `invalid_value`. */
  code?: string;
}

/** What {@link Definition.checkConfig} is told besides the config. */
export interface ConfigCheckInfo {
  /** The problem type the workflow's runner sets, when there is one. */
  problemType?: ProblemType;
  /** Dotted YAML path of the section's owner, e.g. `train.data_splitter`. */
  path: string;
}

/** What {@link Definition.checkEnvironment} is told besides the config. */
export interface EnvironmentCheckInfo {
  /** Dotted YAML path of the component, e.g. `train.model_trainer`. */
  path: string;
  /** The project root a workflow gets (the config file's folder). */
  projectRoot: string;
}

/** One problem of the machine a {@link Definition.checkEnvironment} finds. */
export interface EnvironmentIssue {
  /** What is missing or broken. */
  message: string;
  /** What to do about it. */
  fix?: string;
  /** `fail` (a run would fail; the default) or `warn` (a run works, worse). */
  level?: "fail" | "warn";
}

/** What `defineComponent`, `definePipeline` and `defineRunner` return. */
export interface Definition<Instance = unknown, Ctx = BaseContext> {
  readonly $$type: typeof DEFINITION_TYPE;
  /** Component kind, or `pipeline` / `runner`. */
  readonly kind: string;
  /** Type name used in YAML. */
  readonly type: string;
  /** One line for `lolpop plugins info`. */
  readonly description?: string;
  /** JSON Schema of the `config` section (an object schema). */
  readonly configSchema: JsonSchema;
  /** Builds an instance; heavy imports belong here, not at module top level. */
  readonly create: (ctx: Ctx) => Instance | Promise<Instance>;
  /** For pipelines: kinds that must be configured (locally or globally). */
  readonly requires?: readonly string[];
  /**
   * Kinds this definition may use besides `requires`: for a pipeline, the optional components it
   * looks up (a pipeline that declares `uses` makes a local component of any other kind an
   * `unused_component` config error, unless another component in scope uses that kind); for a
   * component, the peers it reaches through `ctx.component`.
   */
  readonly uses?: readonly string[];
  /**
   * Checks of the validated config (defaults applied) that its JSON Schema cannot express, such as
   * shares that must sum to 1 or a metric that must fit the problem type. Runs wherever config is
   * validated (`lolpop validate`, a run, `instantiateComponent`) before anything is built: a pure,
   * synchronous function of the config, with no I/O and no heavy imports. Each issue is reported
   * at its YAML path with file and line.
   */
  readonly checkConfig?: (config: any, info: ConfigCheckInfo) => readonly ConfigCheckIssue[] | undefined;
  /**
   * Checks of this machine for the validated config, run by `lolpop doctor` (never by a run or
   * `validate`): optional packages, native backends, files the component needs. May import the
   * component's heavy dependencies; must not reach the network. Returns no issue when all is well.
   */
  readonly checkEnvironment?: (
    config: any,
    info: EnvironmentCheckInfo,
  ) => Promise<readonly EnvironmentIssue[]>;
  /** For runners: pipelines that must be configured, and the problem type it sets. */
  readonly requiresPipelines?: readonly string[];
  readonly problemType?: ProblemType;
  /** Static checks over the whole plan (see {@link PlanCheck}). */
  readonly checkPlan?: PlanCheck;
}

/** Any definition, as stored in the registry. */
export type AnyDefinition = Definition<any, any>;

const EMPTY_SCHEMA: JsonSchema = { type: "object", properties: {}, additionalProperties: false };

function brand<T extends object>(def: T): T {
  return Object.freeze({ $$type: DEFINITION_TYPE, ...def });
}

/** True for a definition made by any copy of core. */
export function isDefinition(value: unknown): value is AnyDefinition {
  return (
    typeof value === "object" && value !== null && (value as { $$type?: unknown }).$$type === DEFINITION_TYPE
  );
}

/** Defines a component type of `kind`. The instance must implement that kind's contract. */
export function defineComponent<K extends ComponentKind, C = Record<string, unknown>>(spec: {
  kind: K;
  type: string;
  description?: string;
  configSchema?: JsonSchema;
  /** Peer kinds the component reaches through `ctx.component` / `ctx.optionalComponent`. */
  uses?: readonly string[];
  /** Config checks beyond the schema (see {@link Definition.checkConfig}). */
  checkConfig?: (config: C, info: ConfigCheckInfo) => readonly ConfigCheckIssue[] | undefined;
  /** Machine checks for `lolpop doctor` (see {@link Definition.checkEnvironment}). */
  checkEnvironment?: (config: C, info: EnvironmentCheckInfo) => Promise<readonly EnvironmentIssue[]>;
  checkPlan?: PlanCheck;
  create: (ctx: ComponentContext<C>) => ComponentKinds[K] | Promise<ComponentKinds[K]>;
}): Definition<ComponentKinds[K], ComponentContext<C>> {
  return brand({ ...spec, configSchema: spec.configSchema ?? EMPTY_SCHEMA }) as unknown as Definition<
    ComponentKinds[K],
    ComponentContext<C>
  >;
}

/** Defines a pipeline type (e.g. `OfflineTrain`). `requires` lists kinds it cannot work without. */
export function definePipeline<I extends PipelineInstance, C = Record<string, unknown>>(spec: {
  type: string;
  description?: string;
  configSchema?: JsonSchema;
  requires?: readonly string[];
  /** Optional kinds it looks up; with it, local components of other kinds are config errors. */
  uses?: readonly string[];
  /** Config checks beyond the schema (see {@link Definition.checkConfig}). */
  checkConfig?: (config: C, info: ConfigCheckInfo) => readonly ConfigCheckIssue[] | undefined;
  checkPlan?: PlanCheck;
  create: (ctx: PipelineContext<C>) => I | Promise<I>;
}): Definition<I, PipelineContext<C>> {
  return brand({
    ...spec,
    kind: "pipeline",
    configSchema: spec.configSchema ?? EMPTY_SCHEMA,
  }) as unknown as Definition<I, PipelineContext<C>>;
}

/** Defines a runner type (e.g. `ClassificationRunner`). */
export function defineRunner<I extends RunnerInstance, C = Record<string, unknown>>(spec: {
  type: string;
  description?: string;
  configSchema?: JsonSchema;
  requiresPipelines?: readonly string[];
  problemType?: ProblemType;
  /** Config checks beyond the schema (see {@link Definition.checkConfig}). */
  checkConfig?: (config: C, info: ConfigCheckInfo) => readonly ConfigCheckIssue[] | undefined;
  checkPlan?: PlanCheck;
  create: (ctx: RunnerContext<C>) => I | Promise<I>;
}): Definition<I, RunnerContext<C>> {
  return brand({
    ...spec,
    kind: "runner",
    configSchema: spec.configSchema ?? EMPTY_SCHEMA,
  }) as unknown as Definition<I, RunnerContext<C>>;
}

const PLUGIN_TYPE = "@lolpop/Plugin";

/** A plugin: a named, versioned set of definitions. */
export interface Plugin {
  readonly $$type: typeof PLUGIN_TYPE;
  /** npm package name, e.g. `@lolpop/local`. */
  readonly name: string;
  /** Package version. */
  readonly version: string;
  /** Plugin API version it was built for. */
  readonly apiVersion: number;
  readonly components: readonly AnyDefinition[];
}

/** Defines a plugin. `apiVersion` defaults to this core's {@link PLUGIN_API_VERSION}. */
export function definePlugin(spec: {
  name: string;
  version: string;
  apiVersion?: number;
  components: readonly AnyDefinition[];
}): Plugin {
  if (!spec.name)
    throw new LolpopError({
      message: "definePlugin: `name` is required (use the package name)",
      code: "plugin_invalid",
    });
  for (const def of spec.components) {
    if (!isDefinition(def)) {
      throw new LolpopError({
        message: `definePlugin(${spec.name}): every entry of components must come from defineComponent/definePipeline/defineRunner`,
        code: "plugin_invalid",
      });
    }
  }
  return Object.freeze({
    $$type: PLUGIN_TYPE,
    apiVersion: PLUGIN_API_VERSION,
    ...spec,
    components: Object.freeze([...spec.components]),
  });
}

/** True for a plugin made by any copy of core. */
export function isPlugin(value: unknown): value is Plugin {
  return (
    typeof value === "object" && value !== null && (value as { $$type?: unknown }).$$type === PLUGIN_TYPE
  );
}
