/**
 * Commands added by plugins. A plugin declares them in its manifest:
 *
 * ```json
 * "lolpop": { "commands": [{ "name": "hello", "description": "Say hello", "module": "./dist/commands/hello.js" }] }
 * ```
 *
 * `lolpop --help` lists them from the manifest; the module is imported only when the command runs.
 * Its default export (or a `run` export) is called with the arguments after the command name and a
 * `PluginCommandContext` (the contract is core's: `defineCommand` from `@lolpop/core/manifest`);
 * it returns the exit code (default 0). The context's `discoverPlugins` is this CLI's discovery and
 * loader, so a command that works on the project's types resolves them the way `lolpop run` does.
 */
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
// The contract lives in core's dependency-free manifest module: a plugin that adds a command
// depends on @lolpop/core, not on the CLI. Re-exported here for code written against the CLI.
import {
  defineCommand,
  type PluginCommandContext,
  type PluginCommandDiscoverOptions,
  type PluginCommandFunction,
  type PluginCommandPlugins,
} from "@lolpop/core/manifest";
import { cliPackageDir, discoverProject, type PluginCommandSpec } from "./discovery.js";

export { defineCommand, type PluginCommandContext, type PluginCommandFunction };

/**
 * The CLI's discovery as a plugin command gets it (`ctx.discoverPlugins`): the project's plugins
 * (the config's `plugins:` list, else the project's dependencies), read from manifests, and the
 * CLI's loader to import the ones that provide some types.
 */
export async function commandPlugins(
  projectRoot: string,
  options: PluginCommandDiscoverOptions = {},
): Promise<PluginCommandPlugins> {
  const configFile = options.configFile ? resolve(projectRoot, options.configFile) : undefined;
  let pluginList = options.pluginList;
  if (!pluginList && configFile) {
    const { existsSync, readFileSync } = await import("node:fs");
    if (existsSync(configFile)) {
      const { parseConfigText } = await import("@lolpop/core");
      const { pluginListOf } = await import("./project.js");
      pluginList = pluginListOf(parseConfigText(readFileSync(configFile, "utf8"), configFile).data);
    }
  }
  const d = discoverProject({
    root: configFile ? dirname(configFile) : projectRoot,
    ...(pluginList ? { pluginList } : {}),
    ...(configFile ? { configFile } : {}),
    cliDir: cliPackageDir(),
  });
  return {
    root: d.root,
    plugins: d.plugins.map((p) => ({
      name: p.name,
      version: p.version,
      dir: p.dir,
      status: p.status,
      ...(p.error ? { error: p.error } : {}),
      components: (p.manifest?.components ?? []).map((c) => ({ kind: c.kind, type: c.type })),
    })),
    loadTypes: async (types) => {
      const { loadPlugins } = await import("./loader.js");
      return loadPlugins(d.plugins, types);
    },
  };
}

/** Imports the command's module and runs it; returns the exit code. */
export async function runPluginCommand(
  spec: PluginCommandSpec,
  args: string[],
  projectRoot: string,
): Promise<number> {
  const file = resolve(spec.dir, spec.module);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(
      `command ${spec.name} (from ${spec.plugin}) failed to load ${spec.module}: ${(e as Error)?.message ?? e}`,
    );
  }
  const candidate =
    typeof mod.default === "function"
      ? mod.default
      : typeof (mod.default as { run?: unknown } | undefined)?.run === "function"
        ? (mod.default as { run: PluginCommandFunction }).run
        : mod.run;
  if (typeof candidate !== "function")
    throw new Error(
      `command ${spec.name} (from ${spec.plugin}): ${spec.module} must export a function (export default function (args, ctx) {...})`,
    );
  const code = await (candidate as PluginCommandFunction)(args, {
    cwd: process.cwd(),
    projectRoot,
    plugin: { name: spec.plugin, dir: spec.dir },
    command: spec.name,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    discoverPlugins: (options) => commandPlugins(projectRoot, options),
  });
  return typeof code === "number" ? code : 0;
}
