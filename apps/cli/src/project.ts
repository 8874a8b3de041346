/**
 * Loading a project for a command: core's `loadProject` (read → resolve → import what the config
 * uses → validate → build) with the CLI's discovery as its plugins step: manifests are read from the
 * project's dependencies (or the config's `plugins:` list), anchored at the config's folder, and only
 * the plugins whose types the config uses are imported.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  type LoadedProject,
  loadProject,
  type ProjectInfo,
  type ProjectPlugins,
} from "@lolpop/core";
import { cliPackageDir, discoverProject, findPackageRoot, type ProjectDiscovery } from "./discovery.js";
import { loadPlugins } from "./loader.js";

/** The config's `plugins:` list, when it is a list of strings. */
export function pluginListOf(data: unknown): string[] | undefined {
  const list = (data as { plugins?: unknown } | null)?.plugins;
  return Array.isArray(list) && list.every((p) => typeof p === "string") ? (list as string[]) : undefined;
}

/**
 * The `lolpop.yaml` of the folder `start` or of the nearest folder above it that has one (as git
 * finds `.git`), or undefined.
 */
export function findConfigUp(start: string = process.cwd(), name = "lolpop.yaml"): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The config file a command reads: its argument, which must exist; without one, the `lolpop.yaml`
 * of the current folder or of the nearest folder above it.
 */
export function configFileOf(configArg: string | undefined): string {
  const file = configArg === undefined ? (findConfigUp() ?? resolve("lolpop.yaml")) : resolve(configArg);
  if (!existsSync(file)) {
    throw new ConfigError({
      issues: [
        {
          code: "config_not_found",
          path: "",
          file,
          message:
            configArg === undefined
              ? `no lolpop.yaml in ${process.cwd()} or any folder above it: pass the path of your config (lolpop run path/to/lolpop.yaml) or run \`lolpop init\``
              : `no config file here: pass the path of your lolpop.yaml (lolpop run path/to/lolpop.yaml) or run \`lolpop init\``,
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
export function projectPlugins(
  source: ConfigSource,
  options: { describe?: boolean } = {},
): ProjectPlugins & { discovery: ProjectDiscovery } {
  const discovery = discoverProject({
    root: dirname(source.file),
    pluginList: pluginListOf(source.data),
    configFile: source.file,
    cliDir: cliPackageDir(),
  });
  return {
    discovery,
    loadTypes: (types) => loadPlugins(discovery.plugins, types, options),
    loadType: typeLoader(discovery),
  };
}

/**
 * Where plugins were looked for, when none was found and the config names types: one issue that
 * heads the list of unknown types (they all have this one cause).
 */
export function noPluginsIssue(discovery: ProjectDiscovery, configFile: string): ConfigIssue {
  const pkg = findPackageRoot(dirname(configFile));
  const message = discovery.pluginList
    ? `no plugin of the config's plugins: list is installed where it is looked up (${discovery.root}/node_modules): install them there (npm install ${discovery.pluginList.join(" ")})`
    : pkg
      ? `no lolpop plugin is installed in the project at ${pkg} (plugins are the dependencies of its package.json that declare a "lolpop" manifest): npm install @lolpop/workflows @lolpop/local there, or move the config into the project that has them`
      : `no lolpop plugin was found for this config: plugins are looked up in the dependencies of the nearest package.json from ${dirname(configFile)} up, and there is none. Put the config in a lolpop project (\`lolpop init\` creates one), or list the plugins under plugins: in the config and install them next to it`;
  return { code: "no_plugins", path: "", file: configFile, message };
}

/**
 * Loads and validates the project of a config argument; plugin failures are part of config errors.
 * `text`: config text used instead of the file's (`--reproduce`), the file still anchors the project.
 */
export async function openProject(
  configArg: string | undefined,
  options: {
    overrides?: readonly string[];
    project?: Partial<ProjectInfo>;
    text?: string;
    /**
     * Plan from the plugins' shipped validation data where it suffices, without importing their
     * code (`lolpop validate`); the project's workflow then cannot be built in this process.
     */
    describe?: boolean;
  } = {},
): Promise<LoadedProject> {
  const configPath = configFileOf(configArg);
  let discovery: ProjectDiscovery | undefined;
  try {
    return await loadProject({
      configPath,
      ...(options.text !== undefined ? { text: options.text } : {}),
      ...(options.overrides?.length ? { overrides: options.overrides } : {}),
      ...(options.project ? { project: options.project } : {}),
      discover: (source) => {
        const p = projectPlugins(source, { describe: options.describe === true });
        discovery = p.discovery;
        return p;
      },
    });
  } catch (e) {
    if (
      discovery &&
      discovery.plugins.length === 0 &&
      ConfigError.isInstance(e) &&
      e.issues.some((i) => i.code === "unknown_type")
    )
      throw new ConfigError({ issues: [noPluginsIssue(discovery, configPath), ...e.issues] });
    throw e;
  }
}
