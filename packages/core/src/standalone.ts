import { join } from "node:path";
import type { BundleHost } from "./bundle/replay.js";
import { runConfigChecks } from "./config/config-checks.js";
import { validateAgainstSchema } from "./config/schema-validator.js";
import {
  type ConfigParent,
  type ContextHost,
  type ContextScope,
  createContext,
  rememberComponentInfo,
} from "./context.js";
import type { ComponentKind, ComponentKinds, ProblemType } from "./contracts.js";
import { ConfigError } from "./errors.js";
import { createLineageRecorder, type LineageRecorder } from "./lineage.js";
import { type Logger, silentLogger } from "./logger.js";
import type { Orchestrator } from "./orchestrator.js";
import type { ComponentContext, Definition, ProjectInfo } from "./plugin.js";
import { resolveType } from "./registry.js";
import { CORE_VERSION } from "./version.js";

/** Options of {@link instantiateComponent}. */
export interface StandaloneOptions {
  /** The component's config (validated against its schema; defaults applied). */
  config?: Record<string, unknown>;
  /** Values visible through `ctx.lookup` when the own config lacks them (like a runner's `config:`). */
  inherited?: Record<string, unknown>;
  problemType?: ProblemType;
  /** Project folders; default: `process.cwd()` and its `.lolpop`. */
  project?: Partial<ProjectInfo>;
  /** Peers returned by `ctx.component(kind)`. */
  peers?: Partial<{ [K in ComponentKind]: ComponentKinds[K] }>;
  logger?: Logger;
  signal?: AbortSignal;
  lineage?: LineageRecorder;
  /** Path used in messages (default: the type name). */
  path?: string;
  /**
   * Imports the plugin that provides `type` when `ctx.hasType` / `ctx.createComponent` ask for a
   * type that is not registered (as `EngineOptions.loadType`). Without it, only registered types are found.
   */
  loadType?: (type: string, kind: string) => Promise<void>;
  /** What `ctx.orchestrator` is (default: {@link inProcessOrchestrator}). */
  orchestrator?: Orchestrator;
}

/**
 * Creates one component outside a workflow (library use, tests): validates `config` against the
 * definition's schema and calls `create` with the same context a workflow gives (context.ts):
 * `lookup` falls back to `inherited`, `component(kind)` finds `peers`, `componentInfo(kind)` tells
 * the type and config of a peer made with this function. Methods are called directly (no middleware).
 * @throws ConfigError naming each invalid key (schema and `checkConfig`).
 */
export async function instantiateComponent<K extends ComponentKind, C>(
  definition: Definition<ComponentKinds[K], ComponentContext<C>>,
  options: StandaloneOptions = {},
): Promise<ComponentKinds[K]> {
  const path = options.path ?? definition.type;
  const config: Record<string, unknown> = structuredClone(options.config ?? {});
  const declared = Object.keys((definition.configSchema.properties as Record<string, unknown>) ?? {});
  for (const k of declared)
    if (config[k] === undefined && options.inherited?.[k] !== undefined)
      config[k] = structuredClone(options.inherited[k]);
  const problems = validateAgainstSchema(definition.configSchema, config);
  const checked = runConfigChecks(
    definition,
    config,
    { path, problemType: options.problemType },
    problems.length === 0,
  );
  if (problems.length || checked.length) {
    throw new ConfigError({
      issues: [...problems, ...checked].map((p) => ({
        code: p.code ?? "invalid_value",
        path: [path, "config", ...p.path].join("."),
        message: `${p.message} [${definition.type}]`,
      })),
    });
  }
  const root = options.project?.root ?? process.cwd();
  const project: ProjectInfo = { root, stateDir: join(root, ".lolpop"), ...options.project };
  const inherited: ConfigParent[] = options.inherited ? [{ config: options.inherited, path: [] }] : [];
  // The peers, as one scope by kind (what `ctx.component(kind)` finds).
  const peers: ContextScope = new Map(
    Object.entries(options.peers ?? {})
      .filter(([, instance]) => instance !== undefined)
      .map(([kind, instance]) => [kind, { kind, instance: instance as object }]),
  );
  const host: ContextHost = {
    problemType: options.problemType,
    logger: options.logger ?? silentLogger,
    signal: options.signal ?? new AbortController().signal,
    project,
    lineage: options.lineage ?? createLineageRecorder({ config: {}, plugins: [], coreVersion: CORE_VERSION }),
    loadType: options.loadType,
    ...(options.orchestrator ? { orchestrator: options.orchestrator } : {}),
    missingComponent: () => "was given in options.peers",
    // On demand: made the same way, with the same options, inheriting what this component inherits.
    build: (registered, cfg, caller) =>
      instantiateComponent(registered.definition, {
        ...options,
        config: cfg,
        path: `${caller.path}.${registered.type}`,
      }),
  };
  const ctx = createContext<C>(host, {
    path,
    type: definition.type,
    config,
    parents: inherited,
    scopes: [peers],
  });
  const instance = await definition.create(ctx);
  rememberComponentInfo(instance, { type: definition.type, path, config });
  return instance;
}

/** Options of {@link standaloneHost}. */
export interface StandaloneHostOptions {
  logger: Logger;
  /** Project folders the components see (as {@link StandaloneOptions.project}). */
  project?: Partial<ProjectInfo>;
  /** Imports the plugin of a type that is not registered yet (as {@link StandaloneOptions.loadType}). */
  loadType?: (type: string, kind: string) => Promise<void>;
  /** Prefix of the components' paths in messages: `<path>.<kind>` (default: the type name). */
  path?: string;
  /** The error thrown when no installed plugin provides `type` as a `kind` (default: a plain Error). */
  missingType?: (kind: ComponentKind, type: string) => Error;
}

/**
 * A {@link BundleHost} outside a workflow (`lolpop models export`, `lolpop ui`, `@lolpop/serve`):
 * `createComponent(kind, type, config)` imports the plugin of a type that is not registered yet
 * (through `loadType`), refuses a type no plugin provides or one of another kind, and creates the
 * component with {@link instantiateComponent}.
 */
export function standaloneHost(options: StandaloneHostOptions): BundleHost {
  const { logger, project, loadType, path } = options;
  return {
    logger,
    async createComponent<K extends ComponentKind>(
      kind: K,
      type: string,
      config: Record<string, unknown> = {},
    ): Promise<ComponentKinds[K]> {
      if (!resolveType(type) && loadType) await loadType(type, kind);
      const registered = resolveType(type);
      if (!registered || registered.definition.kind !== kind)
        throw (
          options.missingType?.(kind, type) ??
          new Error(`no ${kind} type "${type}" is installed: install the plugin that provides it`)
        );
      return (await instantiateComponent(registered.definition as never, {
        config,
        logger,
        ...(path ? { path: `${path}.${kind}` } : {}),
        ...(project ? { project } : {}),
        ...(loadType ? { loadType } : {}),
      })) as ComponentKinds[K];
    },
  };
}
