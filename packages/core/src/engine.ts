/**
 * The engine: builds a runner from a validated plan and runs its methods. Global components are
 * built first, then each pipeline with its own local components (never visible to other
 * pipelines), then the runner. Every method call of a component, pipeline or runner goes through
 * one middleware chain.
 */
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { type ComponentPlan, validateComponentConfig, type WorkflowPlan } from "./config/plan.js";
import type { ConfigSource } from "./config/yaml-source.js";
import type { ComponentKind, ComponentKinds, ProblemType } from "./contracts.js";
import { CancelledError, ComponentCallError } from "./errors.js";
import { createLineageRecorder, type Lineage } from "./lineage.js";
import { createLogger, type Logger } from "./logger.js";
import type { AnyDefinition, BaseContext, PipelineInstance, ProjectInfo, RunnerInstance } from "./plugin.js";
import { listTypes, resolveType } from "./registry.js";
import { CORE_VERSION } from "./version.js";

/** What a middleware sees of a call. */
export interface CallInfo {
  /** Dotted path of the callee, e.g. `train.model_trainer` or `train` or `runner`. */
  path: string;
  /** Method name, e.g. `fit`. */
  method: string;
  /** `component`, `pipeline` or `runner`. */
  scope: "component" | "pipeline" | "runner";
  /** Kind (for components) or `pipeline` / `runner`. */
  kind: string;
  type: string;
  args: unknown[];
  signal: AbortSignal;
}

/** Wraps a call: do something, call `next()`, return its result (or another). */
export type Middleware = (call: CallInfo, next: () => Promise<unknown>) => Promise<unknown>;

/** Before/after hooks on calls matching `match` (`train.model_trainer.fit`, `train.*`, `*.fit`, or a predicate). */
export interface Hook {
  match: string | ((call: CallInfo) => boolean);
  /** Runs before the call; throwing fails the call. */
  before?: (call: CallInfo) => void | Promise<void>;
  /** Runs after a successful call with its result; throwing fails the call. */
  after?: (call: CallInfo, result: unknown) => void | Promise<void>;
}

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
  /** The parsed config (to point errors of on-demand components at lines). */
  source?: ConfigSource;
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

/** Glob-ish match of a hook pattern against `path.method` (`*` matches any run of characters). */
function hookMatches(pattern: Hook["match"], call: CallInfo): boolean {
  if (typeof pattern === "function") return pattern(call);
  const full = `${call.path}.${call.method}`;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(full);
}

const SKIP = new Set(["constructor", "then", "catch", "finally", "toJSON", "toString", "valueOf"]);

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
  const problemType: ProblemType | undefined = plan.runner.registered.definition.problemType;

  // Built-in middlewares, outermost first: cancellation, logging with wall time, error wrapping, hooks.
  const cancellation: Middleware = async (call, next) => {
    if (signal.aborted)
      throw new CancelledError({ path: `${call.path}.${call.method}`, reason: signal.reason });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () =>
        reject(new CancelledError({ path: `${call.path}.${call.method}`, reason: signal.reason }));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      return await Promise.race([next(), aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort!);
    }
  };
  const logging: Middleware = async (call, next) => {
    const name = `${call.path}.${call.method}`;
    const start = performance.now();
    logger.debug(`${name} started`, { path: call.path, method: call.method });
    try {
      const out = await next();
      const ms = performance.now() - start;
      lineage.timing(name, ms, true);
      logger.log(call.scope === "component" ? "debug" : "info", `${name} done in ${formatMs(ms)}`, {
        path: call.path,
        method: call.method,
        ms: round(ms),
      });
      return out;
    } catch (e) {
      const ms = performance.now() - start;
      lineage.timing(name, ms, false);
      logger.debug(`${name} failed after ${formatMs(ms)}`, {
        path: call.path,
        method: call.method,
        ms: round(ms),
      });
      throw e;
    }
  };
  const errors: Middleware = async (call, next) => {
    try {
      return await next();
    } catch (e) {
      if (CancelledError.isInstance(e)) throw e;
      throw new ComponentCallError({ frame: `${call.path}.${call.method}`, cause: e });
    }
  };
  const hooks = options.hooks ?? [];
  const hooking: Middleware = async (call, next) => {
    const matching = hooks.filter((h) => hookMatches(h.match, call));
    for (const h of matching) await h.before?.(call);
    const out = await next();
    for (const h of matching) await h.after?.(call, out);
    return out;
  };
  const chain: Middleware[] = [cancellation, logging, errors, hooking, ...(options.middlewares ?? [])];

  const invoke = (call: CallInfo, fn: () => unknown): Promise<unknown> => {
    const dispatch = (i: number): Promise<unknown> => {
      const mw = chain[i];
      if (!mw) return Promise.resolve().then(fn);
      return mw(call, () => dispatch(i + 1));
    };
    return dispatch(0);
  };

  const wrap = <T extends object>(instance: T, info: Omit<CallInfo, "method" | "args" | "signal">): T => {
    if (typeof instance !== "object" || instance === null) {
      throw new ComponentCallError({
        frame: `${info.path}.create`,
        cause: new Error(
          `${info.type}.create() must return an object, got ${instance === null ? "null" : typeof instance}`,
        ),
      });
    }
    const cache = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    return new Proxy(instance, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function" || typeof prop !== "string" || prop.startsWith("_") || SKIP.has(prop))
          return value;
        let wrapped = cache.get(prop);
        if (!wrapped) {
          wrapped = (...args: unknown[]) =>
            invoke({ ...info, method: prop, args, signal }, () =>
              (value as (...a: unknown[]) => unknown).apply(target, args),
            );
          cache.set(prop, wrapped);
        }
        return wrapped;
      },
    });
  };

  type Scope = { components: Map<string, { plan: ComponentPlan; instance: object }> };
  const globalScope: Scope = { components: new Map() };
  let onDemand = 0;

  const findEntry = (scopes: Scope[], kind: string) => {
    for (const s of scopes) {
      for (const [attr, c] of s.components) if (c.plan.kind === kind || attr === kind) return c;
    }
    return undefined;
  };
  const findComponent = (scopes: Scope[], kind: string): object | undefined =>
    findEntry(scopes, kind)?.instance;
  const hasType = async (kind: string, type: string): Promise<boolean> => {
    if (resolveType(type)?.kind === kind) return true;
    if (!options.loadType) return false;
    await options.loadType(type, kind);
    return resolveType(type)?.kind === kind;
  };

  const makeContext = <C>(args: {
    path: string;
    type: string;
    config: Record<string, unknown>;
    parents: Array<{ config: Record<string, unknown>; path: Array<string | number> }>;
    scopes: Scope[];
  }): BaseContext<C> => {
    const ctxLogger = logger.child({ path: args.path });
    const ctx: BaseContext<C> = {
      path: args.path,
      type: args.type,
      config: args.config as C,
      problemType,
      logger: ctxLogger,
      signal,
      project,
      lineage,
      lookup: <T>(key: string) => {
        if (args.config[key] !== undefined) return args.config[key] as T;
        for (const p of args.parents) if (p.config[key] !== undefined) return p.config[key] as T;
        if (key === "problem_type") return problemType as T;
        return undefined;
      },
      component: <K extends ComponentKind>(kind: K) => {
        const found = findComponent(args.scopes, kind);
        if (!found) {
          const example = listTypes(kind)[0]?.type ?? "a type of that kind";
          throw new ComponentCallError({
            frame: args.path,
            cause: new Error(
              `${args.path} needs a ${kind} component, but none is configured here: add "${kind}: ${example}" under components:`,
            ),
          });
        }
        return found as ComponentKinds[K];
      },
      optionalComponent: <K extends ComponentKind>(kind: K) =>
        findComponent(args.scopes, kind) as ComponentKinds[K] | undefined,
      componentInfo: (kind) => {
        const e = findEntry(args.scopes, kind);
        return e
          ? { type: e.plan.type, path: e.plan.path, config: structuredClone(e.plan.config) }
          : undefined;
      },
      hasType,
      createComponent: async <K extends ComponentKind>(
        kind: K,
        type: string,
        config: Record<string, unknown> = {},
      ) => {
        const reg = (await hasType(kind, type)) ? resolveType(type) : undefined;
        if (!reg) {
          const installed = listTypes(kind).map((t) => t.type);
          throw new ComponentCallError({
            frame: `${args.path}.createComponent`,
            cause: new Error(
              `no ${kind} type "${type}" is installed (installed: ${installed.join(", ") || "none"})`,
            ),
          });
        }
        lineage.usePlugin({ name: reg.plugin, version: reg.pluginVersion });
        const path = `${args.path}.${type}#${++onDemand}`;
        const src = options.source ?? {
          file: plan.file,
          data: {},
          locate: () => undefined,
          locateKey: () => undefined,
        };
        // The new component inherits from the caller's scope (pipeline, runner), not from the caller's own config.
        const validated = validateComponentConfig(src, reg.definition, config, path.split("."), args.parents);
        return (await build(
          reg.definition,
          { attr: type, path, kind, type, registered: reg, config: validated },
          args.parents,
          args.scopes,
        )) as ComponentKinds[K];
      },
      notify: async (message, level = "warn", details) => {
        const notifier = findComponent(args.scopes, "notifier") as ComponentKinds["notifier"] | undefined;
        if (notifier && args.path !== "notifier" && !args.path.endsWith(".notifier"))
          await notifier.notify(message, level, details);
        else ctxLogger.log(level, message, details);
      },
    };
    return ctx;
  };

  const build = async (
    def: AnyDefinition,
    cp: ComponentPlan,
    parents: Array<{ config: Record<string, unknown>; path: Array<string | number> }>,
    scopes: Scope[],
  ): Promise<object> => {
    const ctx = makeContext({ path: cp.path, type: cp.type, config: cp.config, parents, scopes });
    let instance: object;
    try {
      instance = (await def.create(ctx)) as object;
    } catch (e) {
      throw new ComponentCallError({ frame: `${cp.path}.create`, cause: e });
    }
    return wrap(instance, { path: cp.path, scope: "component", kind: cp.kind, type: cp.type });
  };

  const runnerParent = { config: plan.runner.config, path: ["config"] as Array<string | number> };
  for (const cp of plan.components) {
    const instance = await build(cp.registered.definition, cp, [runnerParent], [globalScope]);
    globalScope.components.set(cp.attr, { plan: cp, instance });
  }

  const pipelines = new Map<string, object>();
  const pipelineComponents = new Map<string, Scope>();
  for (const pp of plan.pipelines) {
    const local: Scope = { components: new Map() };
    const pipelineParent = { config: pp.config, path: [pp.attr, "config"] as Array<string | number> };
    for (const cp of pp.components) {
      const instance = await build(
        cp.registered.definition,
        cp,
        [pipelineParent, runnerParent],
        [local, globalScope],
      );
      local.components.set(cp.attr, { plan: cp, instance });
    }
    pipelineComponents.set(pp.attr, local);
    const ctx = {
      ...makeContext({
        path: pp.path,
        type: pp.type,
        config: pp.config,
        parents: [runnerParent],
        scopes: [local, globalScope],
      }),
      localComponents: [...local.components.keys()],
    };
    let instance: object;
    try {
      instance = (await pp.registered.definition.create(ctx)) as object;
    } catch (e) {
      throw new ComponentCallError({ frame: `${pp.path}.create`, cause: e });
    }
    pipelines.set(
      pp.attr,
      wrap(instance, { path: pp.path, scope: "pipeline", kind: "pipeline", type: pp.type }),
    );
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
    ...makeContext({
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
  let runnerInstance: object;
  try {
    runnerInstance = (await plan.runner.registered.definition.create(runnerCtx)) as object;
  } catch (e) {
    throw new ComponentCallError({ frame: "runner.create", cause: e });
  }
  const runner = wrap(runnerInstance, {
    path: "runner",
    scope: "runner",
    kind: "runner",
    type: plan.runner.type,
  }) as RunnerInstance;

  return {
    plan,
    runner,
    pipeline: (name) => getPipeline(name) as PipelineInstance,
    component: <T>(path: string) => {
      const [first, second] = path.split(".");
      const found = second
        ? pipelineComponents.get(first!)?.components.get(second)
        : globalScope.components.get(first!);
      if (!found)
        throw new ComponentCallError({ frame: "workflow", cause: new Error(`no component at "${path}"`) });
      return found.instance as T;
    },
    run: async (method = "build_all", ...args) => {
      const fn = runner[method];
      if (typeof fn !== "function") {
        const methods = Object.keys(runnerInstance)
          .concat(Object.getOwnPropertyNames(Object.getPrototypeOf(runnerInstance)))
          .filter(
            (m) =>
              m !== "constructor" && typeof (runnerInstance as Record<string, unknown>)[m] === "function",
          );
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
        lineage.finish(CancelledError.isInstance(e) ? "cancelled" : "failed");
        throw e;
      }
    },
    lineage: () => lineage.snapshot(),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
