/**
 * Loading a project for a command: read the config, discover the plugins (anchored at the config's
 * folder), import only the plugins whose types the config uses, and validate.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  ConfigError,
  type ConfigSource,
  loadConfigFile,
  planWorkflow,
  resolveConfig,
  type WorkflowPlan,
} from "@lolpop/core";
import { cliPackageDir, discoverProject, type ProjectDiscovery, typesUsed } from "./discovery.js";
import { loadPlugins } from "./loader.js";

/** A loaded config with its discovered plugins. */
export interface PreparedProject {
  source: ConfigSource;
  /** The config's folder. */
  root: string;
  discovery: ProjectDiscovery;
  /** Plugins that could not be used (broken, incompatible, failed to import). */
  failures: Array<{ plugin: string; error: string }>;
}

/** The config's `plugins:` list, when it is a list of strings. */
export function pluginListOf(data: unknown): string[] | undefined {
  const list = (data as { plugins?: unknown } | null)?.plugins;
  return Array.isArray(list) && list.every((p) => typeof p === "string") ? (list as string[]) : undefined;
}

/** Reads the config and discovers plugins; imports those providing the types it uses. */
export async function prepare(configArg: string | undefined): Promise<PreparedProject> {
  const file = resolve(configArg ?? "lolpop.yaml");
  if (!existsSync(file)) {
    throw new ConfigError({
      issues: [
        {
          code: "config_not_found",
          path: "",
          file,
          message: `no config file here: pass the path of your lolpop.yaml (lolpop run path/to/lolpop.yaml) or run \`lolpop init\``,
        },
      ],
    });
  }
  const source = await loadConfigFile(file);
  const root = dirname(file);
  const discovery = discoverProject({
    root,
    pluginList: pluginListOf(source.data),
    configFile: file,
    cliDir: cliPackageDir(),
  });
  const failures = await loadPlugins(discovery.plugins, typesUsed(source.data));
  return { source, root, discovery, failures };
}

/**
 * The engine's `loadType`: imports the installed plugin whose manifest lists `type` (a type the run
 * creates on demand that the config does not name). A plugin that fails to import is reported.
 */
export function typeLoader(discovery: ProjectDiscovery): (type: string) => Promise<void> {
  return async (type) => {
    const bare = type.includes("/") ? type.slice(type.lastIndexOf("/") + 1) : type;
    const providers = discovery.plugins.filter((p) =>
      p.manifest?.components.some((c: { type: string }) => c.type === bare),
    );
    const failures = await loadPlugins(providers, "all");
    if (failures.length)
      throw new Error(
        `the plugin providing "${bare}" could not be loaded: ${failures.map((f) => `${f.plugin}: ${f.error}`).join("; ")}`,
      );
  };
}

/** Loads plugins and validates; plugin load failures are added to the config errors (they often explain them). */
export async function planFor(
  configArg: string | undefined,
): Promise<PreparedProject & { plan: WorkflowPlan }> {
  const prepared = await prepare(configArg);
  const plan = () => planWorkflow(prepared.source, resolveConfig(prepared.source));
  try {
    try {
      return { ...prepared, plan: plan() };
    } catch (e) {
      // An unknown type: import every installed plugin so "did you mean" and "installed types" are complete.
      if (!ConfigError.isInstance(e) || !e.issues.some((i) => i.code === "unknown_type")) throw e;
      prepared.failures.push(
        ...(await loadPlugins(prepared.discovery.plugins, "all")).filter(
          (f) => !prepared.failures.some((g) => g.plugin === f.plugin),
        ),
      );
      return { ...prepared, plan: plan() };
    }
  } catch (e) {
    if (ConfigError.isInstance(e)) {
      e.issues.push(
        ...prepared.failures.map((f) => ({
          code: "plugin_load_failed",
          path: "plugins",
          message: `${f.plugin}: ${f.error}`,
        })),
      );
    }
    throw e;
  }
}
