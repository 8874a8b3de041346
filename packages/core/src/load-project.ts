/**
 * One way to load a project: read the config → resolve it (`${env:...}`, `$refs`) → make the types
 * it names available (the host's discovery imports the plugins that provide them) → validate it
 * into a plan → build the workflow. The lolpop CLI (`run`, `validate`, `test`), `@lolpop/testing`
 * and `loadWorkflow` all go through here.
 *
 * Core owns the sequence; finding and importing plugin packages is the host's step, given as
 * `discover` (the CLI reads package.json manifests from the project root). Without it, the types
 * already registered in this process are the ones known (import your plugins first).
 */

import { resolve } from "node:path";
import { applyConfigOverrides } from "./config/overrides.js";
import { planWorkflow, type WorkflowPlan } from "./config/plan.js";
import { type ResolvedConfig, resolveConfig } from "./config/resolve.js";
import { type ConfigSource, loadConfigFile, parseConfigText, readConfigText } from "./config/yaml-source.js";
import { createWorkflow, type EngineOptions, type Workflow } from "./engine.js";
import { ConfigError, PluginConflictError } from "./errors.js";
import type { ProjectInfo } from "./plugin.js";
import { resolveType } from "./registry.js";

/** A plugin that could not be used, and why. */
export interface PluginFailure {
  plugin: string;
  error: string;
}

/** The host's plugins for one config: how `loadProject` makes the config's types available. */
export interface ProjectPlugins {
  /**
   * Imports the installed plugins that provide `types` (bare type names), or every installed plugin
   * for `"all"`. Never throws for a plugin: returns the plugins that could not be used, including
   * those found unusable without importing them (broken or incompatible manifests), so they are reported.
   */
  loadTypes?(types: ReadonlySet<string> | "all"): Promise<PluginFailure[]>;
  /**
   * Imports the plugin that provides `type`, a type a run creates on demand that the config does not
   * name (a tuner's trainers, a saved champion's trainer); throws when that plugin fails to load.
   * Becomes the workflow's `EngineOptions.loadType`.
   */
  loadType?(type: string, kind: string): Promise<void>;
}

/** Options of {@link loadProject}. */
export interface LoadProjectOptions {
  /** The config file: absolute, or relative to `process.cwd()`. */
  configPath: string;
  /** YAML text to use instead of reading `configPath` (which then only names the file in messages). */
  text?: string;
  /**
   * `path=value` overrides applied to the config's YAML before it is read (`train.config.seed=7`;
   * values parsed as YAML). See {@link applyConfigOverrides}.
   */
  overrides?: readonly string[];
  /** Environment for `${env:NAME}` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Project folders; default: the config file's folder and its `.lolpop`. */
  project?: Partial<ProjectInfo>;
  /**
   * Finds the plugins for this config (it may read the config's `plugins:` list). Called once,
   * after the config is read. Default: none, only the types registered in this process are known.
   */
  discover?: (source: ConfigSource) => ProjectPlugins | Promise<ProjectPlugins>;
}

/** A validated project, ready to build. */
export interface LoadedProject {
  /** The validated plan; `plan.source` is the parsed config. */
  readonly plan: WorkflowPlan;
  /** Plugins that could not be used (the config did not need them, or it would not have validated). */
  readonly pluginFailures: readonly PluginFailure[];
  /** Builds the workflow (with the project's folders and on-demand type loading already set). */
  createWorkflow(options?: Omit<EngineOptions, "project" | "loadType">): Promise<Workflow>;
}

/** Type names a config uses as written (runner, pipelines, components at both levels), qualified or bare. */
function typeNames(data: unknown): string[] {
  const out: string[] = [];
  if (!data || typeof data !== "object") return out;
  const d = data as Record<string, unknown>;
  const add = (v: unknown) => {
    if (typeof v === "string" && !out.includes(v)) out.push(v);
  };
  const addAll = (section: unknown) => {
    if (section && typeof section === "object") Object.values(section).forEach(add);
  };
  add(d.runner);
  addAll(d.pipelines);
  addAll(d.components);
  if (d.pipelines && typeof d.pipelines === "object")
    for (const name of Object.keys(d.pipelines))
      addAll((d[name] as Record<string, unknown> | undefined)?.components);
  return out;
}

/** Bare type names a config uses (`plugin/Type` gives `Type`): what a host imports plugins for. */
export function typesUsed(data: unknown): Set<string> {
  return new Set(typeNames(data).map((v) => (v.includes("/") ? v.slice(v.lastIndexOf("/") + 1) : v)));
}

/** Whether a type name resolves in the registry (a conflict counts: the plan reports it). */
function isKnown(name: string): boolean {
  try {
    return resolveType(name) !== undefined;
  } catch (e) {
    if (PluginConflictError.isInstance(e)) return true;
    throw e;
  }
}

function addFailures(into: PluginFailure[], more: readonly PluginFailure[]): void {
  for (const f of more) if (!into.some((g) => g.plugin === f.plugin)) into.push(f);
}

/** Imports what the config uses and validates it once; plugin failures are added to config errors (they often explain them). */
async function planProject(
  source: ConfigSource,
  resolved: ResolvedConfig,
  plugins: ProjectPlugins | undefined,
  failures: PluginFailure[],
): Promise<WorkflowPlan> {
  try {
    if (plugins?.loadTypes) {
      addFailures(failures, await plugins.loadTypes(typesUsed(resolved.data)));
      // A type no installed plugin provided: import them all, so the error lists every installed
      // type with "did you mean".
      if (typeNames(resolved.data).some((t) => !isKnown(t)))
        addFailures(failures, await plugins.loadTypes("all"));
    }
    return planWorkflow(source, resolved);
  } catch (e) {
    if (ConfigError.isInstance(e))
      e.issues.push(
        ...failures.map((f) => ({
          code: "plugin_load_failed",
          path: "plugins",
          message: `${f.plugin}: ${f.error}`,
        })),
      );
    throw e;
  }
}

/**
 * Loads a project: reads `configPath`, resolves it, imports the plugins its types need (through
 * `discover`), validates it into a plan. Nothing is built or written until `createWorkflow()`.
 * @throws ConfigError listing every problem of the config (with file, line and YAML path), plus the
 *   plugins that could not be loaded.
 */
export async function loadProject(options: LoadProjectOptions): Promise<LoadedProject> {
  const file = resolve(options.configPath);
  // With overrides the text is read and parsed once, with them applied.
  const text = options.overrides?.length
    ? applyConfigOverrides(options.text ?? readConfigText(file), file, options.overrides)
    : options.text;
  const source = text === undefined ? await loadConfigFile(file) : parseConfigText(text, file);
  const resolved = resolveConfig(source, options.env ?? process.env);
  const plugins = await options.discover?.(source);
  const failures: PluginFailure[] = [];
  const plan = await planProject(source, resolved, plugins, failures);
  const loadType = plugins?.loadType?.bind(plugins);
  return {
    plan,
    pluginFailures: failures,
    createWorkflow: (engine = {}) =>
      createWorkflow(plan, {
        ...engine,
        ...(options.project ? { project: options.project } : {}),
        ...(loadType ? { loadType } : {}),
      }),
  };
}
