/**
 * The plugin manifest rule and the plugin-command contract, in one module with no dependencies
 * (it imports nothing but this core's version), so the CLI's discovery, `lolpop plugins list` and
 * `@lolpop/testing` read and check manifests without loading the rest of core, and a plugin that
 * adds a CLI command depends on `@lolpop/core` (import `@lolpop/core/manifest`), not on the CLI.
 *
 * A plugin's package.json carries a static manifest, read without importing any of its code:
 *
 * ```json
 * "lolpop": {
 *   "apiVersion": 1,
 *   "components": [{ "kind": "model_trainer", "type": "KnnModelTrainer" }],
 *   "configSchemas": "./dist/schemas.json",
 *   "commands": [{ "name": "hello", "description": "Say hello", "module": "./dist/commands/hello.js" }]
 * }
 * ```
 */
import { isAbsolute, relative, resolve } from "node:path";
import { CORE_VERSION, PLUGIN_API_VERSION } from "./version.js";

export { PLUGIN_API_VERSION };

/** The static `lolpop` field of a plugin's package.json. */
export interface PluginManifest {
  /** The plugin API version the plugin targets; must equal the core's {@link PLUGIN_API_VERSION}. */
  apiVersion: number;
  /** Every component, pipeline and runner the plugin defines. */
  components: Array<{ kind: string; type: string }>;
  /** Path (relative to the package) of a JSON file mapping type name to config JSON Schema. */
  configSchemas?: string;
  /**
   * Path of the validation data generated at build time (`./dist/validation.json`: per type its kind,
   * `requires`/`uses`/`requiresPipelines`/`problemType` and where its code checks live) with which
   * `lolpop validate` plans a config without importing the plugin (see `describePlugin` in core).
   */
  validation?: string;
  /**
   * Path of the plugin's checks module (`./dist/<package>-config-checks.js`), a small entry exporting
   * `configChecks: { [type]: { checkConfig?, checkPlan? } }`: the definitions' own code checks, which
   * `lolpop validate` imports instead of the plugin.
   */
  configChecks?: string;
  /**
   * Path of a CommonJS build of the same checks module (`./dist/<package>-config-checks.cjs`),
   * optional: the CLI's code-cached `lolpop validate` loads it through a V8 code cache instead of
   * importing `configChecks` (on Node 20 each ES module costs ~3 ms to resolve and load). Its
   * `require`s of `@lolpop/core`, `@lolpop/core/checks`, `/metrics` and `/manifest` get the CLI's
   * copy of core; any other module is required from its folder.
   */
  configChecksCommonJs?: string;
  /** Commands the plugin adds to `lolpop` (see {@link checkManifestCommands}). */
  commands?: unknown[];
  /**
   * Orchestrators the plugin provides for `lolpop run --orchestrator <name>` and the config's
   * `orchestrator:` section: `{name, type, module}`, the module exporting a class named `type` that
   * implements `RunLauncher` (`@lolpop/core`).
   */
  orchestrators?: Array<{ name: string; type: string; module: string }>;
}

/** The core a manifest is checked against: its version (for messages) and plugin API version. */
export interface ManifestCore {
  version: string;
  apiVersion: number;
}

/** Verdict on a manifest: the manifest, or why the plugin is broken or incompatible and what to do. */
export type ManifestCheck =
  | { status: "ok"; manifest: PluginManifest }
  | { status: "broken" | "incompatible"; error: string; fix: string };

/**
 * The message and fix for a plugin that targets another plugin API than the core (one wording for
 * the manifest check before import and for the plugin object after import).
 */
export function apiMismatch(
  plugin: string,
  pluginApiVersion: unknown,
  core: ManifestCore = { version: CORE_VERSION, apiVersion: PLUGIN_API_VERSION },
): { message: string; fix: string } {
  const newer = typeof pluginApiVersion === "number" && pluginApiVersion > core.apiVersion;
  const fix = newer
    ? `upgrade @lolpop/core (and @lolpop/cli) to a version that supports plugin API ${String(pluginApiVersion)}`
    : `upgrade ${plugin} to a version built for plugin API ${core.apiVersion}`;
  return {
    message: `Plugin ${plugin} targets lolpop plugin API ${String(pluginApiVersion)}, but @lolpop/core ${core.version} supports API ${core.apiVersion}: ${fix}.`,
    fix,
  };
}

/**
 * Checks a plugin's `lolpop` manifest without importing anything: present, `apiVersion` equal to
 * the core's, `components` a list of `{kind, type}`. Never throws (core's `checkManifest` is the
 * throwing form of this rule).
 * @param core the core to check against; default: this copy of `@lolpop/core`.
 */
export function inspectManifest(
  packageName: string,
  raw: unknown,
  core: ManifestCore = { version: CORE_VERSION, apiVersion: PLUGIN_API_VERSION },
): ManifestCheck {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return {
      status: "broken",
      error: `${packageName} is not a lolpop plugin: its package.json has no "lolpop" manifest field.`,
      fix: `${packageName} is tagged lolpop-plugin but has no "lolpop" manifest: upgrade it, ask its author to add {"lolpop": {"apiVersion": ${core.apiVersion}, "components": [...]}} to its package.json, or remove it from your dependencies`,
    };
  const m = raw as Partial<PluginManifest>;
  if (m.apiVersion !== core.apiVersion) {
    const { message, fix } = apiMismatch(packageName, m.apiVersion, core);
    return { status: "incompatible", error: message, fix };
  }
  if (
    !Array.isArray(m.components) ||
    m.components.some((c) => typeof c?.kind !== "string" || typeof c?.type !== "string")
  )
    return {
      status: "broken",
      error: `${packageName}: "lolpop.components" in package.json must be a list of {kind, type}.`,
      fix: `fix "lolpop.components" in ${packageName}'s package.json (or upgrade ${packageName})`,
    };
  return { status: "ok", manifest: m as PluginManifest };
}

/**
 * Valid plugin command names: lower-case letters, digits and dashes, starting with a letter, with
 * optional `:`-separated parts (`mlflow-ui`, `db:migrate`), or a subcommand of a command group
 * that takes them: the group and the subcommand separated by one space (`runs attach`).
 */
export const COMMAND_NAME = /^[a-z][a-z0-9-]*(:[a-z0-9-]+)*( [a-z][a-z0-9-]*)?$/;

/** A command entry of a manifest, checked. */
export interface ManifestCommand {
  /** Command name, e.g. `mlflow-ui`. */
  name: string;
  /** One line for `lolpop --help` (empty when the manifest has none). */
  description: string;
  /** Module path relative to the plugin package, e.g. `./dist/commands/ui.js`. */
  module: string;
}

/**
 * Checks the manifest's `commands` (the rule discovery applies): a list of `{name, description,
 * module}` with a {@link COMMAND_NAME} name and a module inside the package folder `dir`. Entries
 * that break the rule are left out and described in `problems`.
 */
export function checkManifestCommands(
  dir: string,
  raw: unknown,
): { commands: ManifestCommand[]; problems: string[] } {
  const commands: ManifestCommand[] = [];
  const problems: string[] = [];
  if (raw === undefined) return { commands, problems };
  if (!Array.isArray(raw)) {
    problems.push(`"lolpop.commands" must be a list of {name, description, module}: commands ignored`);
    return { commands, problems };
  }
  raw.forEach((c, i) => {
    const cmd = c as Record<string, unknown>;
    if (typeof cmd?.name !== "string" || !COMMAND_NAME.test(cmd.name) || typeof cmd.module !== "string") {
      problems.push(
        `"lolpop.commands[${i}]" needs a lower-case "name" (letters, digits, dashes; "group sub" for a subcommand) and a "module" path: ignored`,
      );
      return;
    }
    const rel = relative(dir, resolve(dir, cmd.module));
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      problems.push(`command ${cmd.name}: module ${cmd.module} is outside the package: ignored`);
      return;
    }
    commands.push({
      name: cmd.name,
      description: typeof cmd.description === "string" ? cmd.description : "",
      module: cmd.module,
    });
  });
  return { commands, problems };
}

/** What a plugin command's function receives besides its arguments. */
export interface PluginCommandContext {
  /** Folder the command was run in. */
  cwd: string;
  /** The project's folder (nearest package.json). */
  projectRoot: string;
  /** The plugin that declares the command. */
  plugin: { name: string; dir: string };
  /** The command's name. */
  command: string;
  /** Writes to stdout. */
  stdout: (text: string) => void;
  /** Writes to stderr. */
  stderr: (text: string) => void;
  /**
   * The host's plugin discovery, for commands that work on the project's components (e.g. `lolpop
   * generate docs <Type>`): manifests are read, no plugin code runs until `loadTypes`. The lolpop CLI
   * always provides it; absent in hosts that offer no discovery.
   */
  discoverPlugins?: (options?: PluginCommandDiscoverOptions) => Promise<PluginCommandPlugins>;
}

/** Options of {@link PluginCommandContext.discoverPlugins}. */
export interface PluginCommandDiscoverOptions {
  /**
   * A workflow config whose `plugins:` list applies; its folder anchors the lookup. Default: none,
   * the project's dependencies from {@link PluginCommandContext.projectRoot}.
   */
  configFile?: string;
  /**
   * Plugins to use instead of the project's dependencies: package names or paths relative to the
   * config's folder, else the project root (`"."` is the project's own package when it is a
   * plugin). Wins over the config's list.
   */
  pluginList?: string[];
}

/** One plugin as the host's discovery found it (from its manifest). */
export interface PluginCommandPlugin {
  name: string;
  version: string;
  /** Package folder (real path; empty when it could not be resolved). */
  dir: string;
  /** `ok`: usable (its code has not necessarily run); `broken` or `incompatible`: see `error`. */
  status: "ok" | "broken" | "incompatible";
  error?: string;
  /** The component, pipeline and runner types its manifest lists. */
  components: Array<{ kind: string; type: string }>;
}

/** The project's plugins, as a plugin command sees them. */
export interface PluginCommandPlugins {
  /** Folder packages are resolved from. */
  root: string;
  plugins: PluginCommandPlugin[];
  /**
   * Imports the plugins that provide `types` (bare type names), or every plugin for `"all"`; they
   * register their types with `@lolpop/core`. Never throws for a plugin: returns those that could
   * not be used. Fits `loadProject`'s `discover` (`ProjectPlugins.loadTypes`).
   */
  loadTypes(types: ReadonlySet<string> | "all"): Promise<Array<{ plugin: string; error: string }>>;
}

/**
 * A plugin command's function: called with the arguments after the command name; returns the
 * exit code (`undefined` means 0).
 */
export type PluginCommandFunction = (
  args: string[],
  ctx: PluginCommandContext,
) => number | undefined | Promise<number | undefined>;

/**
 * Types a plugin command module's default export. The manifest lists the module; `lolpop --help`
 * shows the command from the manifest and imports the module only when the command runs.
 *
 * ```ts
 * import { defineCommand } from "@lolpop/core/manifest";
 * export default defineCommand(async (args, ctx) => { ctx.stdout("hello\n"); return 0; });
 * ```
 */
export function defineCommand(fn: PluginCommandFunction): PluginCommandFunction {
  return fn;
}
