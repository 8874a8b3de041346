/**
 * The engine: builds a runner from a validated plan and runs its methods. Global components are
 * built first, then each pipeline with its own local components (never visible to other
 * pipelines), then the runner. Every method call of a component, pipeline or runner goes through
 * one middleware chain (middleware.ts); every context comes from context.ts.
 */
import { dirname, join } from "node:path";
import {
  type ComponentPlan,
  locateConfigError,
  validateComponentConfig,
  type WorkflowPlan,
} from "./config/plan.js";
import {
  type ConfigParent,
  type ContextHost,
  type ContextScope,
  createContext,
  rememberComponentInfo,
  type ScopeEntry,
} from "./context.js";
import {
  ComponentCallError,
  ConfigError,
  isCancellation,
  PartialRunError,
  partialRunOf,
  thrownError,
} from "./errors.js";
import { createLineageRecorder, type Lineage } from "./lineage.js";
import { createLogger, type Logger } from "./logger.js";
import {
  type CallInfo,
  createCallChain,
  type Hook,
  type Invoke,
  type Middleware,
  wrapInstance,
} from "./middleware.js";
import { inProcessOrchestrator, type Orchestrator } from "./orchestrator.js";
import type { AnyDefinition, PipelineInstance, ProjectInfo, RunnerInstance } from "./plugin.js";
import { listTypes, type RegisteredType } from "./registry.js";
import { CORE_VERSION } from "./version.js";

export { uncancellable } from "./middleware.js";
export type { CallInfo, Hook, Middleware };

/** Options of {@link createWorkflow}. */
export interface EngineOptions {
  logger?: Logger;
  /** Cancels the run. */
  signal?: AbortSignal;
  /** Extra middlewares, outermost first; they run inside the built-in ones. */
  middlewares?: Middleware[];
  hooks?: Hook[];
  /** Project folders; default: the config file's folder and its `.lolpop`. */
  project?: Partial<ProjectInfo>;
  /** Run id for lineage (default: a random UUID). */
  runId?: string;
  /**
   * Imports the plugin that provides `type`, for types a run creates on demand that the config does
   * not name (a saved champion's trainer, a tuner's trainers). The CLI passes one that imports the
   * installed plugin whose manifest lists the type; without it, only registered types are found.
   */
  loadType?: (type: string, kind: string) => Promise<void>;
  /** Runs each step the runner hands over (default: {@link inProcessOrchestrator}, in this process). */
  orchestrator?: Orchestrator;
}

/** A built workflow. */
export interface Workflow {
  readonly plan: WorkflowPlan;
  /** The runner, with every method going through the middleware chain. */
  readonly runner: RunnerInstance;
  /** A pipeline by name (wrapped). */
  pipeline(name: string): PipelineInstance;
  /** A component by path (`metadata_tracker`, `train.model_trainer`), wrapped. */
  component<T = unknown>(path: string): T;
  /** Calls a runner method (default `build_all`) and finishes lineage with the outcome. */
  run(method?: string, ...args: unknown[]): Promise<unknown>;
  /** Lineage recorded so far (redacted). */
  lineage(): Lineage;
}

/** What building a workflow needs at every step: the plan, the call chain and the context host. */
interface Builder {
  plan: WorkflowPlan;
  host: ContextHost;
  invoke: Invoke;
  signal: AbortSignal;
}

/** Builds the workflow described by `plan`. Nothing runs until a runner method is called. */
export async function createWorkflow(plan: WorkflowPlan, options: EngineOptions = {}): Promise<Workflow> {
  const logger = options.logger ?? createLogger();
  const signal = options.signal ?? new AbortController().signal;
  const root = options.project?.root ?? dirname(plan.file);
  const project: ProjectInfo = {
    root,
    configFile: plan.file,
    stateDir: options.project?.stateDir ?? join(root, ".lolpop"),
    ...options.project,
  };
  const lineage = createLineageRecorder({
    config: plan.redacted,
    configFile: plan.file,
    plugins: plan.plugins,
    coreVersion: CORE_VERSION,
    projectRoot: root,
    runId: options.runId,
  });
  const invoke = createCallChain({
    signal,
    logger,
    lineage,
    hooks: options.hooks,
    middlewares: options.middlewares,
  });
  let onDemand = 0;
  const b: Builder = {
    plan,
    invoke,
    signal,
    host: {
      problemType: plan.runner.registered.definition.problemType,
      logger,
      signal,
      project,
      lineage,
      usePlugin: lineage.usePlugin,
      loadType: options.loadType,
      orchestrator: options.orchestrator ?? inProcessOrchestrator,
      locate: (path) => {
        const loc = plan.source.locate(path);
        return { file: plan.file, ...(loc ? { line: loc.line, column: loc.column } : {}) };
      },
      missingComponent: (kind) =>
        `is configured here: add "${kind}: ${listTypes(kind)[0]?.type ?? "a type of that kind"}" under components:`,
      // On demand: validated like YAML config (errors point into the config file), inheriting from
      // the caller's scope (pipeline, runner), not from the caller's own config.
      build: (registered, config, caller) => {
        const path = `${caller.path}.${registered.type}#${++onDemand}`;
        const validated = validateComponentConfig(
          plan.source,
          registered.definition,
          config,
          path.split("."),
          caller.parents,
          plan.runner.registered.definition.problemType,
        );
        const cp = { path, kind: registered.kind, type: registered.type, config: validated };
        return buildComponent(b, registered, cp, caller.parents, caller.scopes);
      },
    },
  };

  // Global components, then each pipeline with its local ones, then the runner.
  const runnerParent: ConfigParent = { config: plan.runner.config, path: ["config"] };
  const globalScope = await buildScope(b, plan.components, [runnerParent], []);
  const pipelineScopes = new Map<string, ContextScope>();
  const pipelines = new Map<string, object>();
  for (const pp of plan.pipelines) {
    const parents = [{ config: pp.config, path: [pp.attr, "config"] }, runnerParent];
    const local = await buildScope(b, pp.components, parents, [globalScope]);
    pipelineScopes.set(pp.attr, local);
    const args = { path: pp.path, type: pp.type, config: pp.config, parents: [runnerParent] };
    const ctx = {
      ...createContext(b.host, { ...args, scopes: [local, globalScope] }),
      localComponents: [...local.keys()],
    };
    pipelines.set(pp.attr, await buildOwner(b, "pipeline", pp.registered.definition, ctx, pp.path, pp.type));
  }
  const getPipeline = (name: string) => {
    const p = pipelines.get(name);
    if (!p)
      throw new ComponentCallError({
        frame: "runner",
        cause: new Error(
          `no pipeline "${name}" is configured: add it under pipelines: (configured: ${[...pipelines.keys()].join(", ") || "none"})`,
        ),
      });
    return p;
  };
  const runnerArgs = { path: "runner", type: plan.runner.type, config: plan.runner.config, parents: [] };
  const runnerCtx = {
    ...createContext(b.host, { ...runnerArgs, scopes: [globalScope] }),
    pipeline: <T>(name: string) => getPipeline(name) as T,
    optionalPipeline: <T>(name: string) => pipelines.get(name) as T | undefined,
    pipelines: [...pipelines.keys()],
    orchestrator: options.orchestrator ?? inProcessOrchestrator,
  };
  const runnerDef = plan.runner.registered.definition;
  const runner = (await buildOwner(
    b,
    "runner",
    runnerDef,
    runnerCtx,
    "runner",
    plan.runner.type,
  )) as RunnerInstance;

  return {
    plan,
    runner,
    pipeline: (name) => getPipeline(name) as PipelineInstance,
    component: <T>(path: string) => {
      const [first, second] = path.split(".");
      const found = second ? pipelineScopes.get(first!)?.get(second) : globalScope.get(first!);
      if (!found)
        throw new ComponentCallError({ frame: "workflow", cause: new Error(`no component at "${path}"`) });
      return found.instance as T;
    },
    run: (method = "build_all", ...args) => runMethod(plan, runner, lineage, method, args),
    lineage: () => lineage.snapshot(),
  };
}

/**
 * Builds the components of one scope in written order; each sees the ones built before it in this
 * scope, then the `outer` scopes.
 */
async function buildScope(
  b: Builder,
  components: readonly ComponentPlan[],
  parents: readonly ConfigParent[],
  outer: readonly ContextScope[],
): Promise<Map<string, ScopeEntry>> {
  const scope = new Map<string, ScopeEntry>();
  for (const cp of components) {
    const instance = await buildComponent(b, cp.registered, cp, parents, [scope, ...outer]);
    scope.set(cp.attr, { kind: cp.kind, instance });
  }
  return scope;
}

/** Creates a component: its context, `create`, and the wrapper that routes its calls through the chain. */
async function buildComponent(
  b: Builder,
  registered: RegisteredType,
  cp: Pick<ComponentPlan, "path" | "kind" | "type" | "config">,
  parents: readonly ConfigParent[],
  scopes: readonly ContextScope[],
): Promise<object> {
  const def = registered.definition;
  const ctx = createContext(b.host, { path: cp.path, type: cp.type, config: cp.config, parents, scopes });
  let instance: object;
  try {
    instance = (await def.create(ctx)) as object;
  } catch (e) {
    throw createFailure(b.plan, `${cp.path}.create`, e);
  }
  const info = { path: cp.path, scope: "component" as const, kind: cp.kind, type: cp.type };
  const wrapped = wrapInstance(instance, info, b.invoke, b.signal);
  rememberComponentInfo(wrapped, {
    type: cp.type,
    path: cp.path,
    config: cp.config,
    plugin: { name: registered.plugin, version: registered.pluginVersion },
  });
  return wrapped;
}

/** Runs a pipeline's or the runner's `create` with its context and wraps the instance. */
async function buildOwner(
  b: Builder,
  scope: "pipeline" | "runner",
  def: AnyDefinition,
  ctx: object,
  path: string,
  type: string,
): Promise<object> {
  let instance: object;
  try {
    instance = (await def.create(ctx)) as object;
  } catch (e) {
    throw createFailure(b.plan, `${path}.create`, e);
  }
  return wrapInstance(instance, { path, scope, kind: scope, type }, b.invoke, b.signal);
}

/**
 * What a failed `create` throws: a config error as itself, located in the config file (it is the
 * config that is wrong, and `lolpop` reports it as one with file and line); anything else wrapped
 * in a {@link ComponentCallError} naming the `create` call.
 */
function createFailure(plan: WorkflowPlan, frame: string, e: unknown): unknown {
  if (ConfigError.isInstance(e)) return locateConfigError(e, plan.source);
  return new ComponentCallError({ frame, cause: e });
}

/** Calls a runner method and finishes lineage with the outcome. */
async function runMethod(
  plan: WorkflowPlan,
  runner: RunnerInstance,
  lineage: ReturnType<typeof createLineageRecorder>,
  method: string,
  args: unknown[],
): Promise<unknown> {
  const fn = runner[method];
  if (typeof fn !== "function") {
    const methods = Object.keys(runner)
      .concat(Object.getOwnPropertyNames(Object.getPrototypeOf(runner)))
      .filter((m) => m !== "constructor" && typeof (runner as Record<string, unknown>)[m] === "function");
    throw new ComponentCallError({
      frame: "runner",
      cause: new Error(`${plan.runner.type} has no method "${method}" (methods: ${methods.join(", ")})`),
    });
  }
  try {
    const out = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
    lineage.finish("succeeded");
    return out;
  } catch (e) {
    lineage.finish(isCancellation(e) ? "cancelled" : "failed");
    // A config error found while running (a key only a step reads) is still a config error, located
    // in the YAML; a failed run keeps what it did before (its partial summary).
    const partial = partialRunOf(e);
    const thrown = thrownError(partial?.cause ?? e);
    if (ConfigError.isInstance(thrown)) {
      const located = locateConfigError(thrown, plan.source);
      throw partial
        ? new PartialRunError({ summary: partial.summary, step: partial.step, cause: located })
        : located;
    }
    throw e;
  }
}
