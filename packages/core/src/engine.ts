/**
 * The engine: builds a runner from a validated plan and runs its methods. Global components are
 * built first, then each pipeline with its own local components (never visible to other
 * pipelines), then the runner. Every method call of a component, pipeline or runner goes through
 * one middleware chain (middleware.ts); every context comes from context.ts.
 */
import { dirname, join } from "node:path";
import { type ComponentPlan, validateComponentConfig, type WorkflowPlan } from "./config/plan.js";
import {
  type ConfigParent,
  type ContextArgs,
  type ContextHost,
  type ContextScope,
  createContext,
  rememberComponentInfo,
  type ScopeEntry,
} from "./context.js";
import { CancelledError, ComponentCallError } from "./errors.js";
import { createLineageRecorder, type Lineage } from "./lineage.js";
import { createLogger, type Logger } from "./logger.js";
import { type CallInfo, createCallChain, type Hook, type Middleware, wrapInstance } from "./middleware.js";
import type { AnyDefinition, PipelineInstance, ProjectInfo, RunnerInstance } from "./plugin.js";
import { listTypes, type RegisteredType } from "./registry.js";
import { CORE_VERSION } from "./version.js";

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

  // Creates a component: its context, `create`, and the wrapper that routes calls through the chain.
  const buildComponent = async (
    def: AnyDefinition,
    cp: Omit<ComponentPlan, "attr" | "registered">,
    parents: readonly ConfigParent[],
    scopes: readonly ContextScope[],
  ): Promise<object> => {
    const ctx = createContext(host, { path: cp.path, type: cp.type, config: cp.config, parents, scopes });
    let instance: object;
    try {
      instance = (await def.create(ctx)) as object;
    } catch (e) {
      throw new ComponentCallError({ frame: `${cp.path}.create`, cause: e });
    }
    const wrapped = wrapInstance(
      instance,
      { path: cp.path, scope: "component", kind: cp.kind, type: cp.type },
      invoke,
      signal,
    );
    rememberComponentInfo(wrapped, { type: cp.type, path: cp.path, config: cp.config });
    return wrapped;
  };

  const host: ContextHost = {
    problemType: plan.runner.registered.definition.problemType,
    logger,
    signal,
    project,
    lineage,
    usePlugin: lineage.usePlugin,
    loadType: options.loadType,
    missingComponent: (kind) => {
      const example = listTypes(kind)[0]?.type ?? "a type of that kind";
      return `is configured here: add "${kind}: ${example}" under components:`;
    },
    // On demand: validated like YAML config (errors point into the config file), inheriting from
    // the caller's scope (pipeline, runner), not from the caller's own config.
    build: (registered: RegisteredType, config: Record<string, unknown>, caller: ContextArgs) => {
      const path = `${caller.path}.${registered.type}#${++onDemand}`;
      const validated = validateComponentConfig(
        plan.source,
        registered.definition,
        config,
        path.split("."),
        caller.parents,
      );
      return buildComponent(
        registered.definition,
        { path, kind: registered.kind, type: registered.type, config: validated },
        caller.parents,
        caller.scopes,
      );
    },
  };

  // Runs a pipeline's or the runner's `create` with its context and wraps the instance.
  const buildOwner = async <X extends object>(
    scope: "pipeline" | "runner",
    def: AnyDefinition,
    ctx: X,
    path: string,
    type: string,
  ): Promise<object> => {
    let instance: object;
    try {
      instance = (await def.create(ctx)) as object;
    } catch (e) {
      throw new ComponentCallError({ frame: `${path}.create`, cause: e });
    }
    return wrapInstance(instance, { path, scope, kind: scope, type }, invoke, signal);
  };

  const globalScope = new Map<string, ScopeEntry>();
  const runnerParent: ConfigParent = { config: plan.runner.config, path: ["config"] };
  for (const cp of plan.components) {
    const instance = await buildComponent(cp.registered.definition, cp, [runnerParent], [globalScope]);
    globalScope.set(cp.attr, { kind: cp.kind, instance });
  }

  const pipelines = new Map<string, object>();
  const pipelineScopes = new Map<string, Map<string, ScopeEntry>>();
  for (const pp of plan.pipelines) {
    const local = new Map<string, ScopeEntry>();
    const pipelineParent: ConfigParent = { config: pp.config, path: [pp.attr, "config"] };
    for (const cp of pp.components) {
      const instance = await buildComponent(
        cp.registered.definition,
        cp,
        [pipelineParent, runnerParent],
        [local, globalScope],
      );
      local.set(cp.attr, { kind: cp.kind, instance });
    }
    pipelineScopes.set(pp.attr, local);
    const ctx = {
      ...createContext(host, {
        path: pp.path,
        type: pp.type,
        config: pp.config,
        parents: [runnerParent],
        scopes: [local, globalScope],
      }),
      localComponents: [...local.keys()],
    };
    pipelines.set(pp.attr, await buildOwner("pipeline", pp.registered.definition, ctx, pp.path, pp.type));
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
  const runnerCtx = {
    ...createContext(host, {
      path: "runner",
      type: plan.runner.type,
      config: plan.runner.config,
      parents: [],
      scopes: [globalScope],
    }),
    pipeline: <T>(name: string) => getPipeline(name) as T,
    optionalPipeline: <T>(name: string) => pipelines.get(name) as T | undefined,
    pipelines: [...pipelines.keys()],
  };
  const runner = (await buildOwner(
    "runner",
    plan.runner.registered.definition,
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
    run: async (method = "build_all", ...args) => {
      const fn = runner[method];
      if (typeof fn !== "function") {
        throw new ComponentCallError({
          frame: "runner",
          cause: new Error(
            `${plan.runner.type} has no method "${method}" (methods: ${methodsOf(runner).join(", ")})`,
          ),
        });
      }
      try {
        const out = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        lineage.finish("succeeded");
        return out;
      } catch (e) {
        lineage.finish(CancelledError.isInstance(e) ? "cancelled" : "failed");
        throw e;
      }
    },
    lineage: () => lineage.snapshot(),
  };
}

/** Method names of an instance (own and prototype functions), for messages. */
function methodsOf(instance: object): string[] {
  return Object.keys(instance)
    .concat(Object.getOwnPropertyNames(Object.getPrototypeOf(instance)))
    .filter((m) => m !== "constructor" && typeof (instance as Record<string, unknown>)[m] === "function");
}
