import { join } from "node:path";
import { validateAgainstSchema } from "./config/schema-validator.js";
import type { ComponentKind, ComponentKinds, ProblemType } from "./contracts.js";
import { ConfigError } from "./errors.js";
import { createLineageRecorder, type LineageRecorder } from "./lineage.js";
import { type Logger, silentLogger } from "./logger.js";
import type { ComponentContext, Definition, ProjectInfo } from "./plugin.js";
import { listTypes, resolveType } from "./registry.js";
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
}

/**
 * Creates one component outside a workflow (library use, tests): validates `config` against the
 * definition's schema and calls `create` with a context. Methods are called directly (no middleware).
 * @throws ConfigError naming each invalid key.
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
  if (problems.length) {
    throw new ConfigError({
      issues: problems.map((p) => ({
        code: p.code,
        path: [path, "config", ...p.path].join("."),
        message: `${p.message} [${definition.type}]`,
      })),
    });
  }
  const root = options.project?.root ?? process.cwd();
  const project: ProjectInfo = { root, stateDir: join(root, ".lolpop"), ...options.project };
  const logger = options.logger ?? silentLogger;
  const peers = options.peers ?? {};
  const ctx: ComponentContext<C> = {
    path,
    type: definition.type,
    config: config as C,
    problemType: options.problemType,
    logger,
    signal: options.signal ?? new AbortController().signal,
    project,
    lineage: options.lineage ?? createLineageRecorder({ config: {}, plugins: [], coreVersion: CORE_VERSION }),
    lookup: <T>(key: string) =>
      (config[key] ??
        options.inherited?.[key] ??
        (key === "problem_type" ? options.problemType : undefined)) as T,
    component: <P extends ComponentKind>(kind: P) => {
      const peer = peers[kind];
      if (!peer) throw new Error(`${path} needs a ${kind} component, but none was given in options.peers`);
      return peer as ComponentKinds[P];
    },
    optionalComponent: <P extends ComponentKind>(kind: P) => peers[kind] as ComponentKinds[P] | undefined,
    componentInfo: () => undefined,
    hasType: async (kind: string, type: string) => resolveType(type)?.kind === kind,
    createComponent: async <P extends ComponentKind>(
      kind: P,
      type: string,
      cfg: Record<string, unknown> = {},
    ) => {
      const reg = resolveType(type);
      if (!reg || reg.kind !== kind)
        throw new Error(
          `no ${kind} type "${type}" is registered (registered: ${
            listTypes(kind)
              .map((t) => t.type)
              .join(", ") || "none"
          })`,
        );
      return instantiateComponent(reg.definition, {
        ...options,
        config: cfg,
        inherited: options.inherited,
        path: `${path}.${type}`,
      }) as Promise<ComponentKinds[P]>;
    },
    notify: async (message, level = "warn", details) => {
      const notifier = peers.notifier;
      if (notifier) await notifier.notify(message, level, details);
      else logger.log(level, message, details);
    },
  };
  return definition.create(ctx);
}
