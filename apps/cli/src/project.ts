/**
 * Loading a project for a command: core's `loadProject` (read → resolve → import what the config
 * uses → validate → build) with the CLI's discovery as its plugins step: manifests are read from the
 * project's dependencies (or the config's `plugins:` list), anchored at the config's folder, and only
 * the plugins whose types the config uses are imported.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  ConfigError,
  type ConfigSource,
  type LoadedProject,
  loadProject,
  type ProjectPlugins,
} from "@lolpop/core";
import { cliPackageDir, discoverProject, type ProjectDiscovery } from "./discovery.js";
import { loadPlugins } from "./loader.js";

/** The config's `plugins:` list, when it is a list of strings. */
export function pluginListOf(data: unknown): string[] | undefined {
  const list = (data as { plugins?: unknown } | null)?.plugins;
  return Array.isArray(list) && list.every((p) => typeof p === "string") ? (list as string[]) : undefined;
}

/** The config file a command reads: its argument (default `lolpop.yaml`), which must exist. */
export function configFileOf(configArg: string | undefined): string {
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
  return file;
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

/** The plugins of the project a config belongs to, as `loadProject` uses them. */
export function projectPlugins(source: ConfigSource): ProjectPlugins & { discovery: ProjectDiscovery } {
  const discovery = discoverProject({
    root: dirname(source.file),
    pluginList: pluginListOf(source.data),
    configFile: source.file,
    cliDir: cliPackageDir(),
  });
  return {
    discovery,
    loadTypes: (types) => loadPlugins(discovery.plugins, types),
    loadType: typeLoader(discovery),
  };
}

/** Loads and validates the project of a config argument; plugin failures are part of config errors. */
export function openProject(configArg: string | undefined): Promise<LoadedProject> {
  return loadProject({ configPath: configFileOf(configArg), discover: projectPlugins });
}
