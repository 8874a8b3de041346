/**
 * Plugin discovery, anchored at the project (never at the CLI's own install folder):
 * 1. the config's `plugins:` list (package names or relative paths), else
 * 2. the project's package.json dependencies/devDependencies whose package.json has a `lolpop` field
 *    (a dependency tagged `lolpop-plugin` without that field is reported as broken).
 * Manifests are read without importing code; only plugins providing types the config uses are imported.
 * Works with npm (hoisted), pnpm (strict, isolated) and global layouts: every package is resolved with
 * Node's resolution from the folder that declares it, and `file:`/`link:` dependencies that are not
 * installed yet are read from their folder.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
// Only core's dependency-free manifest module: listing plugins must not load the rest of
// @lolpop/core (nor any plugin), so this module stays cheap to import.
import {
  checkManifestCommands,
  inspectManifest,
  type ManifestCheck,
  PLUGIN_API_VERSION,
  type PluginManifest,
} from "@lolpop/core/manifest";

/**
 * The plugin API version this CLI supports: the `PLUGIN_API_VERSION` of the @lolpop/core it is
 * released with. A project's core can state its own in its package.json
 * (`lolpop.pluginApiVersion`), which then wins.
 */
export const SUPPORTED_PLUGIN_API_VERSION: number = PLUGIN_API_VERSION;

/** How a plugin was found. */
export type PluginSource = "plugins" | "dependencies" | "devDependencies";

/** A command a plugin adds to `lolpop` (manifest `commands`). */
export interface PluginCommandSpec {
  /** Command name, e.g. `mlflow-ui`. */
  name: string;
  /** One line for `lolpop --help`. */
  description: string;
  /** Module path relative to the plugin package, e.g. `./dist/commands/ui.js`. */
  module: string;
  /** Package that declares it. */
  plugin: string;
  /** Package folder. */
  dir: string;
}

/** A copy of `@lolpop/core` the project (or the CLI) resolves. */
export interface CoreCopyInfo {
  version: string;
  /** Package folder (real path). */
  path: string;
  /** Who resolves this copy: `project`, `@lolpop/cli`, or plugin names. */
  usedBy: string[];
}

/** A problem found by discovery, with what to do about it. */
export interface DiscoveryProblem {
  message: string;
  fix: string;
  plugin?: string;
}

/** A plugin found in the project. */
export interface DiscoveredPlugin {
  /** Package name (as in its package.json). */
  name: string;
  version: string;
  /** Package folder (real path); empty when it could not be resolved. */
  dir: string;
  /** How it was found. */
  via: PluginSource;
  manifest?: PluginManifest;
  /** `ok`: manifest valid (its code has not necessarily run); `broken`: unusable, see `error`; `incompatible`: wrong plugin API version. */
  status: "ok" | "broken" | "incompatible";
  /** Why it is broken or incompatible. */
  error?: string;
  /** What to do about `error`. */
  fix?: string;
  /** Non-fatal findings (type-name conflicts, bad command entries...). */
  warnings: string[];
  /** The `@lolpop/core` this plugin imports, when resolvable. */
  core?: { version: string; path: string };
}

/** Everything discovery found for one project. */
export interface ProjectDiscovery {
  /** Folder packages are resolved from (nearest package.json at or above the config's folder). */
  root: string;
  /** The config file that was read for `plugins:`, if any. */
  configFile?: string;
  /** The config's `plugins:` list, when it has one. */
  pluginList?: string[];
  plugins: DiscoveredPlugin[];
  /** Type names claimed by more than one plugin. */
  conflicts: Array<{ type: string; plugins: string[] }>;
  /** Copies of `@lolpop/core` in use (the project's, each plugin's and the CLI's). */
  cores: CoreCopyInfo[];
  /** More than one copy of `@lolpop/core` is in use. */
  duplicateCore: boolean;
  /** Commands added by plugins (first declaration of a name wins). */
  commands: PluginCommandSpec[];
  /** Declared dependencies that are not installed. */
  missing: string[];
  problems: DiscoveryProblem[];
}

/** Commands built into the CLI (plugins cannot take these names). */
export const BUILTIN_COMMANDS = [
  "run",
  "validate",
  "test",
  "plugins",
  "schema",
  "init",
  "create",
  "doctor",
  "models",
  "gc",
  "help",
  "runs",
  "lineage",
  "predict",
];

/**
 * Built-in command groups plugins may add subcommands to (manifest name `"runs attach"`), with
 * the subcommands built into each (plugins cannot take these).
 */
export const EXTENSIBLE_GROUPS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  runs: ["list", "show", "compare", "help"],
  // No built-in subcommands: `schedule create|list|delete` come from orchestrator plugins.
  schedule: ["help"],
});

/** Nearest folder at or above `start` that has a package.json. */
export function findPackageRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** A JSON file's content (throws when it cannot be read or parsed). */
export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

function safeRealpath(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
}

/** A package that is declared but cannot be found from the project. */
export class PackageNotFoundError extends Error {
  readonly code = "plugin_not_installed";
  constructor(
    readonly packageName: string,
    readonly root: string,
  ) {
    super(
      `plugin ${packageName} is not installed in ${root}: install it with \`npm install ${packageName}\` (or \`pnpm add ${packageName}\`)`,
    );
    this.name = "PackageNotFoundError";
  }
}

const lookupCache = new Map<string, string | null>();

/** Forgets every package lookup (discovery memoizes them for the life of the process). */
export function clearDiscoveryCache(): void {
  lookupCache.clear();
  corePackages.clear();
}

/**
 * Node's package lookup (`node_modules` folders from `from` up to the root) without resolving an
 * entry, so it works for packages whose exports hide `./package.json` and costs a few stats. Memoized
 * per folder, since the plugins of a project share their parents.
 */
function lookup(name: string, from: string): string | undefined {
  const key = `${name}\0${from}`;
  const hit = lookupCache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  let found: string | undefined;
  if (basename(from) !== "node_modules") {
    const candidate = join(from, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) found = realpathSync.native(candidate);
  }
  if (!found) {
    const up = dirname(from);
    if (up !== from) found = lookup(name, up);
  }
  lookupCache.set(key, found ?? null);
  return found;
}

/** Finds a package's folder as seen from `root` (works with pnpm's strict layout). */
export function resolvePackageDir(name: string, root: string): string {
  if (name.startsWith(".") || isAbsolute(name)) {
    const dir = resolve(root, name);
    if (!existsSync(join(dir, "package.json"))) throw new PackageNotFoundError(name, root);
    return safeRealpath(dir);
  }
  const found = lookup(name, resolve(root));
  if (!found) throw new PackageNotFoundError(name, root);
  return found;
}

/** The `@lolpop/core` folder and version resolved from `dir`, if any. */
export function resolveCoreFrom(dir: string): { version: string; path: string } | undefined {
  const path = lookup("@lolpop/core", resolve(dir));
  const pkg = path ? corePackage(path) : undefined;
  return path && pkg ? { version: String(pkg.version ?? "?"), path } : undefined;
}

const corePackages = new Map<string, Record<string, unknown> | null>();

/** A core folder's package.json, read once per process. */
function corePackage(dir: string): Record<string, unknown> | undefined {
  let pkg = corePackages.get(dir);
  if (pkg === undefined) {
    try {
      pkg = readJson(join(dir, "package.json"));
    } catch {
      pkg = null;
    }
    corePackages.set(dir, pkg);
  }
  return pkg ?? undefined;
}

/** The plugin API version a core folder implements (its package.json may state it; else this CLI's). */
export function coreApiVersion(coreDir: string | undefined): number {
  const v = (
    coreDir ? (corePackage(coreDir)?.lolpop as { pluginApiVersion?: unknown } | undefined) : undefined
  )?.pluginApiVersion;
  return typeof v === "number" ? v : SUPPORTED_PLUGIN_API_VERSION;
}

/** Outcome of checking a manifest (core's `ManifestCheck`). */
export type { ManifestCheck };

/**
 * Checks a plugin's `lolpop` manifest without importing anything: core's manifest rule
 * (`inspectManifest` from `@lolpop/core/manifest`) against the project's core.
 */
export const checkManifestData: (
  name: string,
  raw: unknown,
  core: { version: string; apiVersion: number },
) => ManifestCheck = inspectManifest;

interface Declared {
  spec: string;
  via: PluginSource;
  /** Version spec from package.json (for file:/link: fallbacks). */
  range?: string;
}

function declared(pkgRoot: string | undefined, pluginList?: string[]): Declared[] {
  if (pluginList) return pluginList.map((spec) => ({ spec, via: "plugins" as const }));
  if (!pkgRoot) return [];
  let pkg: Record<string, unknown>;
  try {
    pkg = readJson(join(pkgRoot, "package.json"));
  } catch {
    return [];
  }
  const out: Declared[] = [];
  for (const via of ["dependencies", "devDependencies"] as const) {
    const deps = pkg[via];
    if (deps && typeof deps === "object")
      for (const [spec, range] of Object.entries(deps as Record<string, unknown>))
        if (!out.some((d) => d.spec === spec)) out.push({ spec, via, range: String(range) });
  }
  return out;
}

/** Names of the plugin packages the project declares (those whose package.json has a `lolpop` field, or the `plugins:` list). */
export function declaredPlugins(root: string, pluginList?: string[]): string[] {
  return discoverProject({ root, pluginList })
    .plugins.filter((p) => p.manifest !== undefined || p.via === "plugins")
    .map((p) => p.name);
}

/** Locates a declared package: installed copy first, then a `file:`/`link:` folder. */
function locate(d: Declared, pkgRoot: string): string | undefined {
  try {
    return resolvePackageDir(d.spec, pkgRoot);
  } catch {
    const m = /^(?:file|link):(.*)$/.exec(d.range ?? "");
    if (m) {
      const dir = resolve(pkgRoot, m[1]!);
      if (existsSync(join(dir, "package.json")) && statSync(dir).isDirectory()) return safeRealpath(dir);
    }
    return undefined;
  }
}

/** The file a package's `import` of its root resolves to (exports `.` → import/default, else module/main). */
export function entryOf(
  dir: string,
  pkg: Record<string, unknown> = readJson(join(dir, "package.json")),
): string {
  const exp = pkg.exports as Record<string, unknown> | string | undefined;
  let target: unknown =
    typeof exp === "string"
      ? exp
      : exp && "." in exp
        ? exp["."]
        : exp && !Object.keys(exp)[0]?.startsWith(".")
          ? exp
          : undefined;
  while (target && typeof target === "object") {
    const t = target as Record<string, unknown>;
    target = t.import ?? t.node ?? t.default;
  }
  const rel =
    (typeof target === "string" ? target : undefined) ??
    (pkg.module as string | undefined) ??
    (pkg.main as string | undefined) ??
    "index.js";
  return join(dir, rel);
}

/** Reads one plugin's manifest and checks it without running any of its code. */
function inspect(
  d: Declared,
  pkgRoot: string,
  projectCore: { version: string; path: string } | undefined,
): DiscoveredPlugin | undefined {
  const dir = locate(d, pkgRoot);
  if (!dir) {
    if (d.via !== "plugins") return undefined;
    return {
      name: d.spec,
      version: "",
      dir: "",
      via: d.via,
      status: "broken",
      error: `plugin ${d.spec} (listed under plugins: in the config) is not installed in ${pkgRoot}`,
      fix: d.spec.startsWith(".")
        ? `check the path ${d.spec} (it is relative to the config's folder)`
        : `install it: \`npm install ${d.spec}\` (or \`pnpm add ${d.spec}\`)`,
      warnings: [],
    };
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = readJson(join(dir, "package.json"));
  } catch (e) {
    return {
      name: d.spec,
      version: "",
      dir,
      via: d.via,
      status: "broken",
      error: `cannot read ${join(dir, "package.json")}: ${(e as Error).message}`,
      fix: "reinstall the package",
      warnings: [],
    };
  }
  const name = String(pkg.name ?? d.spec);
  const version = String(pkg.version ?? "0.0.0");
  const keywords = Array.isArray(pkg.keywords) ? (pkg.keywords as unknown[]) : [];
  if (pkg.lolpop === undefined && d.via !== "plugins" && !keywords.includes("lolpop-plugin"))
    return undefined;
  const base: DiscoveredPlugin = {
    name,
    version,
    dir,
    via: d.via,
    status: "ok",
    warnings: [],
    core: resolveCoreFrom(dir),
  };
  const core = base.core ?? projectCore;
  const checked = checkManifestData(name, pkg.lolpop, {
    version: core?.version ?? "(not installed)",
    apiVersion: coreApiVersion(core?.path),
  });
  if (checked.status !== "ok")
    return { ...base, status: checked.status, error: checked.error, fix: checked.fix };
  const manifest = checked.manifest;
  const entry = entryOf(dir, pkg);
  if (!existsSync(entry)) {
    return {
      ...base,
      manifest,
      status: "broken",
      error: `${name}: its entry ${relative(dir, entry)} does not exist (the package was installed without its build)`,
      fix: `reinstall ${name}; if it is your own package, build it first (npm run build)`,
    };
  }
  const seen = new Set<string>();
  for (const c of manifest.components) {
    if (seen.has(c.type)) base.warnings.push(`the manifest lists type ${c.type} twice`);
    seen.add(c.type);
  }
  if (manifest.configSchemas !== undefined && !existsSync(resolve(dir, String(manifest.configSchemas))))
    base.warnings.push(
      `"lolpop.configSchemas" points at ${String(manifest.configSchemas)}, which does not exist: config schemas will be read from the plugin's code`,
    );
  return { ...base, manifest };
}

/** Options of {@link discoverProject}. */
export interface DiscoverOptions {
  /** The config's folder or the project folder. */
  root: string;
  /** The config's `plugins:` list, when it has one. */
  pluginList?: string[];
  /** The config file (only reported back). */
  configFile?: string;
  /** Folder of the running CLI package: its `@lolpop/core` is counted among the copies in use. */
  cliDir?: string;
}

/** Finds the project's plugins and reads their manifests; no plugin code runs. */
export function discoverProject(options: DiscoverOptions): ProjectDiscovery {
  const pkgRoot = findPackageRoot(options.root);
  const resolveRoot = options.pluginList ? resolve(options.root) : (pkgRoot ?? resolve(options.root));
  const plugins: DiscoveredPlugin[] = [];
  const missing: string[] = [];
  const projectCore = resolveCoreFrom(pkgRoot ?? resolveRoot);
  for (const d of declared(pkgRoot, options.pluginList)) {
    const found = inspect(d, options.pluginList ? resolveRoot : (pkgRoot ?? resolveRoot), projectCore);
    if (found) {
      if (!plugins.some((p) => p.name === found.name && p.dir === found.dir)) plugins.push(found);
    } else if (d.via !== "plugins" && !locate(d, pkgRoot ?? resolveRoot)) missing.push(d.spec);
  }
  const problems: DiscoveryProblem[] = [];
  for (const p of plugins)
    if (p.status !== "ok") problems.push({ plugin: p.name, message: p.error ?? p.status, fix: p.fix ?? "" });

  // Type names claimed by two plugins: both stay usable under their qualified names.
  const owners = new Map<string, string[]>();
  for (const p of plugins)
    if (p.status === "ok")
      for (const c of p.manifest!.components) {
        const list = owners.get(c.type) ?? [];
        if (!list.includes(p.name)) list.push(p.name);
        owners.set(c.type, list);
      }
  const conflicts = [...owners]
    .filter(([, list]) => list.length > 1)
    .map(([type, list]) => ({ type, plugins: list }));
  for (const c of conflicts) {
    for (const name of c.plugins) {
      const others = c.plugins.filter((n) => n !== name);
      plugins
        .find((p) => p.name === name)
        ?.warnings.push(
          `type ${c.type} is also provided by ${others.join(", ")}: write ${name}/${c.type} in the config to use this one`,
        );
    }
    problems.push({
      message: `type ${c.type} is provided by ${c.plugins.join(" and ")}`,
      fix: `write the qualified name (${c.plugins.map((n) => `${n}/${c.type}`).join(" or ")}) in the config, or remove one of the plugins`,
    });
  }

  // Copies of @lolpop/core: the project's, each plugin's, the CLI's.
  const cores: CoreCopyInfo[] = [];
  const addCore = (c: { version: string; path: string } | undefined, user: string) => {
    if (!c) return;
    const hit = cores.find((x) => x.path === c.path);
    if (hit) {
      if (!hit.usedBy.includes(user)) hit.usedBy.push(user);
    } else cores.push({ ...c, usedBy: [user] });
  };
  addCore(projectCore, "project");
  for (const p of plugins) addCore(p.core, p.name);
  const inProject = cores.length;
  if (inProject > 1) {
    problems.push({
      message: `${inProject} copies of @lolpop/core in this project: ${cores
        .map((c) => `${c.version} at ${c.path} (used by ${c.usedBy.join(", ")})`)
        .join("; ")}`,
      fix: "keep one copy: a plugin must list @lolpop/core under peerDependencies, not dependencies or bundleDependencies; find the extra copy with `npm ls @lolpop/core` (or `pnpm why @lolpop/core`), then upgrade or reinstall the plugin that brings it",
    });
  }
  if (options.cliDir) {
    const cliCore = resolveCoreFrom(options.cliDir);
    addCore(cliCore, "@lolpop/cli");
    if (cliCore && projectCore && cliCore.path !== projectCore.path)
      problems.push({
        message: `the running lolpop (${options.cliDir}) uses its own @lolpop/core ${cliCore.version} at ${cliCore.path}, while the project's is ${projectCore.version} at ${projectCore.path}`,
        fix: "install @lolpop/cli in the project (npm install --save-dev @lolpop/cli): a global lolpop then hands off to it",
      });
  }
  const duplicateCore = cores.length > 1;

  // Commands added by plugins.
  const commands: PluginCommandSpec[] = [];
  for (const p of plugins) {
    if (p.status !== "ok") continue;
    const checked = checkManifestCommands(p.dir, p.manifest!.commands);
    p.warnings.push(...checked.problems);
    for (const c of checked.commands) {
      const [group, sub] = c.name.split(" ");
      if (sub !== undefined) {
        const builtin = EXTENSIBLE_GROUPS[group!];
        if (!builtin) {
          p.warnings.push(
            `command ${c.name}: only these command groups take plugin subcommands: ${Object.keys(EXTENSIBLE_GROUPS).join(", ")}; the plugin's command is ignored`,
          );
          continue;
        }
        if (builtin.includes(sub)) {
          p.warnings.push(`command ${c.name} is built into lolpop: the plugin's command is ignored`);
          continue;
        }
      } else if (BUILTIN_COMMANDS.includes(c.name)) {
        p.warnings.push(`command ${c.name} is built into lolpop: the plugin's command is ignored`);
        continue;
      }
      const taken = commands.find((x) => x.name === c.name);
      if (taken) {
        p.warnings.push(`command ${c.name} is already added by ${taken.plugin}: ignored`);
        continue;
      }
      commands.push({ ...c, plugin: p.name, dir: p.dir });
    }
  }
  if (missing.length)
    problems.push({
      message: `declared in package.json but not installed: ${missing.join(", ")}`,
      fix: "run `npm install` (or `pnpm install`) in the project",
    });
  return {
    root: pkgRoot ?? resolveRoot,
    ...(options.configFile ? { configFile: options.configFile } : {}),
    ...(options.pluginList ? { pluginList: options.pluginList } : {}),
    plugins,
    conflicts,
    cores,
    duplicateCore,
    commands,
    missing,
    problems,
  };
}

/** Reads every declared plugin's manifest (no plugin code runs). */
export function discoverPlugins(root: string, pluginList?: string[]): DiscoveredPlugin[] {
  return discoverProject({ root, pluginList }).plugins;
}

/** Folder of this CLI package. */
export function cliPackageDir(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

/** True when `file` is inside `dir` (or is `dir`). */
export function within(dir: string, file: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}
