/**
 * The context a component, pipeline or runner gets in `create`: one implementation for a workflow
 * built by the engine and for a component made on its own with `instantiateComponent`. Lookup is
 * nearest-first (own config, then each parent config, then the problem type); peers are found by
 * kind in the scopes, nearest first; `componentInfo` tells the type, path and validated config of
 * a peer built by either host; types are made available on demand through the host's `loadType`.
 */
import type { ComponentKind, ComponentKinds, ProblemType } from "./contracts.js";
import { ComponentCallError } from "./errors.js";
import type { LineageRecorder } from "./lineage.js";
import type { Logger } from "./logger.js";
import { inProcessOrchestrator, type Orchestrator } from "./orchestrator.js";
import type { BaseContext, ProjectInfo } from "./plugin.js";
import { listTypes, type RegisteredType, resolveType } from "./registry.js";

/** Type, path and validated config of a built component (what `ctx.componentInfo` returns, cloned). */
export interface ComponentInfo {
  type: string;
  path: string;
  config: Record<string, unknown>;
  /** The plugin that provided the type (known for components a workflow built). */
  plugin?: { name: string; version: string };
}

/** A component visible to a context. */
export interface ScopeEntry {
  kind: string;
  instance: object;
}

/** Components visible at one level (a pipeline's own, the global ones...), by attribute name. */
export type ContextScope = ReadonlyMap<string, ScopeEntry>;

/** A config a context inherits from (a pipeline's or the runner's), with its YAML path. */
export interface ConfigParent {
  config: Record<string, unknown>;
  path: Array<string | number>;
}

/** Where a context sits: its own config, the configs it inherits from and the scopes it sees, nearest first. */
export interface ContextArgs {
  path: string;
  type: string;
  config: Record<string, unknown>;
  parents: readonly ConfigParent[];
  scopes: readonly ContextScope[];
}

/** What a host (the engine, or `instantiateComponent`) gives every context it makes. */
export interface ContextHost {
  problemType?: ProblemType;
  logger: Logger;
  signal: AbortSignal;
  project: ProjectInfo;
  lineage: LineageRecorder;
  /** Records a plugin whose type was created on demand (the run's lineage). */
  usePlugin?: (plugin: { name: string; version: string }) => void;
  /** Imports the plugin providing `type` when it is not registered yet (see `EngineOptions.loadType`). */
  loadType?: (type: string, kind: string) => Promise<void>;
  /** Builds a component created on demand by the context at `caller` (config not validated yet). */
  build(registered: RegisteredType, config: Record<string, unknown>, caller: ContextArgs): Promise<object>;
  /** Ends "`path` needs a `kind` component, but none ..." when `ctx.component(kind)` finds none. */
  missingComponent(kind: string): string;
  /** Who runs the run's steps and trials (the engine: `EngineOptions.orchestrator`). */
  orchestrator?: Orchestrator;
  /** Where a YAML path of the config file is (the engine: the plan's source). */
  locate?(path: ReadonlyArray<string | number>): { file: string; line?: number; column?: number } | undefined;
}

const INFO = new WeakMap<object, ComponentInfo>();

/** Records what `ctx.componentInfo` reports for a built instance (the instance its peers get). */
export function rememberComponentInfo(instance: unknown, info: ComponentInfo): void {
  if (typeof instance === "object" && instance !== null) INFO.set(instance, info);
}

/** The component of `kind` (or at attribute `kind`) in the nearest scope that has one. */
export function findInScopes(scopes: readonly ContextScope[], kind: string): ScopeEntry | undefined {
  for (const s of scopes) for (const [attr, c] of s) if (c.kind === kind || attr === kind) return c;
  return undefined;
}

/** Whether a type of `kind` is registered, asking the host to import it first when it is not. */
async function hasType(host: ContextHost, kind: string, type: string): Promise<boolean> {
  if (resolveType(type)?.kind === kind) return true;
  if (!host.loadType) return false;
  await host.loadType(type, kind);
  return resolveType(type)?.kind === kind;
}

/** Makes the context of the component, pipeline or runner described by `args`. */
export function createContext<C>(host: ContextHost, args: ContextArgs): BaseContext<C> {
  const logger = host.logger.child({ path: args.path });
  const find = (kind: string) => findInScopes(args.scopes, kind)?.instance;
  return {
    path: args.path,
    type: args.type,
    config: args.config as C,
    problemType: host.problemType,
    logger,
    signal: host.signal,
    project: host.project,
    lineage: host.lineage,
    orchestrator: host.orchestrator ?? inProcessOrchestrator,
    lookup: <T>(key: string) => {
      if (args.config[key] !== undefined) return args.config[key] as T;
      for (const p of args.parents) if (p.config[key] !== undefined) return p.config[key] as T;
      if (key === "problem_type") return host.problemType as T;
      return undefined;
    },
    component: <K extends ComponentKind>(kind: K) => {
      const found = find(kind);
      if (!found)
        throw new ComponentCallError({
          frame: args.path,
          cause: new Error(`${args.path} needs a ${kind} component, but none ${host.missingComponent(kind)}`),
        });
      return found as ComponentKinds[K];
    },
    optionalComponent: <K extends ComponentKind>(kind: K) => find(kind) as ComponentKinds[K] | undefined,
    componentInfo: (kind) => {
      const instance = find(kind);
      const info = instance ? INFO.get(instance) : undefined;
      return info
        ? {
            type: info.type,
            path: info.path,
            config: structuredClone(info.config),
            ...(info.plugin ? { plugin: { ...info.plugin } } : {}),
          }
        : undefined;
    },
    hasType: (kind, type) => hasType(host, kind, type),
    createComponent: async <K extends ComponentKind>(
      kind: K,
      type: string,
      config: Record<string, unknown> = {},
    ) => {
      const registered = (await hasType(host, kind, type)) ? resolveType(type) : undefined;
      if (!registered) {
        const installed = listTypes(kind).map((t) => t.type);
        throw new ComponentCallError({
          frame: `${args.path}.createComponent`,
          cause: new Error(
            `no ${kind} type "${type}" is installed (installed: ${installed.join(", ") || "none"})`,
          ),
        });
      }
      host.usePlugin?.({ name: registered.plugin, version: registered.pluginVersion });
      return (await host.build(registered, config, args)) as ComponentKinds[K];
    },
    locate: (path) => host.locate?.(path),
    notify: async (message, level = "warn", details) => {
      const notifier = find("notifier") as ComponentKinds["notifier"] | undefined;
      if (notifier && args.path !== "notifier" && !args.path.endsWith(".notifier"))
        await notifier.notify(message, level, details);
      else logger.log(level, message, details);
    },
  };
}
