/**
 * The process-wide registry. Its state lives on `globalThis[Symbol.for("lolpop.registry@1")]`, so
 * every copy of `@lolpop/core` loaded in one process (a global CLI and a project's core, an ESM and
 * a bundled copy...) shares one set of plugins. The state holds data only; the functions here work
 * on whichever copy created it.
 */
import { IncompatiblePluginError, LolpopError, PluginConflictError, PluginLoadError } from "./errors.js";
import { inspectManifest, type PluginManifest } from "./manifest.js";
import { type AnyDefinition, isPlugin, type Plugin } from "./plugin.js";
import { isDescribedPlugin } from "./plugin-description.js";
import { CORE_VERSION, PLUGIN_API_VERSION } from "./version.js";

/** A registered type and the plugin it came from. */
export interface RegisteredType {
  kind: string;
  type: string;
  plugin: string;
  pluginVersion: string;
  definition: AnyDefinition;
}

/** A copy of `@lolpop/core` that initialized in this process. */
export interface CoreCopy {
  version: string;
  /** URL or path of the module file. */
  path: string;
}

interface RegistryState {
  readonly plugins: Map<string, Plugin>;
  readonly types: Map<string, RegisteredType[]>;
  readonly coreCopies: CoreCopy[];
}

const REGISTRY_KEY = Symbol.for("lolpop.registry@1");

function state(): RegistryState {
  const g = globalThis as Record<symbol, unknown>;
  let s = g[REGISTRY_KEY] as RegistryState | undefined;
  if (!s) {
    s = { plugins: new Map(), types: new Map(), coreCopies: [] };
    Object.defineProperty(g, REGISTRY_KEY, {
      value: s,
      enumerable: false,
      configurable: false,
      writable: false,
    });
  }
  return s;
}

/** Records a copy of core (called once by each copy's entry module). */
export function recordCoreCopy(copy: CoreCopy): void {
  const s = state();
  if (!s.coreCopies.some((c) => c.path === copy.path)) s.coreCopies.push(copy);
}

/** Every copy of `@lolpop/core` that initialized in this process, first first. */
export function coreCopies(): CoreCopy[] {
  return [...state().coreCopies];
}

/**
 * Registers a plugin and its types. Idempotent: registering the same plugin (same name and version)
 * again returns the one already registered. Returns the registered plugin.
 * @throws IncompatiblePluginError when the plugin targets another plugin API version.
 * @throws PluginLoadError when `plugin` is not a plugin object, or another version of the same plugin is registered.
 */
export function registerPlugin<P extends Plugin>(plugin: P): P {
  if (!isPlugin(plugin)) {
    throw new PluginLoadError({
      plugin: String((plugin as { name?: unknown })?.name ?? "unknown"),
      message: "registerPlugin: the value is not a lolpop plugin (make it with definePlugin)",
    });
  }
  if (plugin.apiVersion !== PLUGIN_API_VERSION) {
    throw new IncompatiblePluginError({
      plugin: plugin.name,
      pluginApiVersion: plugin.apiVersion,
      coreApiVersion: PLUGIN_API_VERSION,
      coreVersion: CORE_VERSION,
    });
  }
  const s = state();
  let existing = s.plugins.get(plugin.name);
  // A plugin described from its package data (validation only) gives way to its code.
  if (existing && existing !== plugin && isDescribedPlugin(existing) && !isDescribedPlugin(plugin)) {
    unregisterPlugin(plugin.name);
    existing = undefined;
  }
  if (existing) {
    if (existing === plugin || existing.version === plugin.version) return existing as P;
    throw new PluginLoadError({
      plugin: plugin.name,
      message: `Two versions of plugin ${plugin.name} are loaded (${existing.version} and ${plugin.version}). Keep one: check your dependencies with \`npm ls ${plugin.name}\`.`,
    });
  }
  s.plugins.set(plugin.name, plugin);
  for (const def of plugin.components) {
    const list = s.types.get(def.type) ?? [];
    list.push({
      kind: def.kind,
      type: def.type,
      plugin: plugin.name,
      pluginVersion: plugin.version,
      definition: def,
    });
    s.types.set(def.type, list);
  }
  return plugin;
}

/** Removes a plugin and its types (tests, reloading). */
export function unregisterPlugin(name: string): boolean {
  const s = state();
  if (!s.plugins.delete(name)) return false;
  for (const [type, list] of s.types) {
    const rest = list.filter((e) => e.plugin !== name);
    if (rest.length) s.types.set(type, rest);
    else s.types.delete(type);
  }
  return true;
}

/** Registered plugins, in registration order. */
export function listPlugins(): Plugin[] {
  return [...state().plugins.values()];
}

/** The registered plugin named `name`. */
export function getPlugin(name: string): Plugin | undefined {
  return state().plugins.get(name);
}

/** The kinds of the registered types (unsorted: cheaper than {@link listTypes}, whose sort loads ICU). */
export function registeredKinds(): Set<string> {
  const out = new Set<string>();
  for (const list of state().types.values()) for (const e of list) out.add(e.kind);
  return out;
}

/** Every registered type, optionally only those of `kind`. */
export function listTypes(kind?: string): RegisteredType[] {
  const out: RegisteredType[] = [];
  for (const list of state().types.values()) for (const e of list) if (!kind || e.kind === kind) out.push(e);
  return out.sort((a, b) => a.type.localeCompare(b.type));
}

/** Type names claimed by more than one plugin, with the plugins. */
export function listConflicts(): Array<{ type: string; plugins: string[] }> {
  const out: Array<{ type: string; plugins: string[] }> = [];
  for (const [type, list] of state().types)
    if (list.length > 1) out.push({ type, plugins: list.map((e) => e.plugin) });
  return out;
}

/**
 * Finds a type by name: a bare name (`LocalDataConnector`) or a qualified one
 * (`@lolpop/local/LocalDataConnector`). Undefined when unknown.
 * @throws PluginConflictError when a bare name is provided by two plugins.
 */
export function resolveType(name: string): RegisteredType | undefined {
  const s = state();
  const slash = name.lastIndexOf("/");
  if (slash > 0) {
    const pluginName = name.slice(0, slash);
    const type = name.slice(slash + 1);
    return s.types.get(type)?.find((e) => e.plugin === pluginName);
  }
  const list = s.types.get(name);
  if (!list || list.length === 0) return undefined;
  if (list.length > 1) throw new PluginConflictError({ type: name, plugins: list.map((e) => e.plugin) });
  return list[0];
}

/** Clears every plugin (tests only). Core copies stay recorded. */
export function resetRegistry(): void {
  const s = state();
  s.plugins.clear();
  s.types.clear();
}

/**
 * Checks a plugin's package.json `lolpop` manifest before its code is imported: the throwing form of
 * {@link inspectManifest} (`@lolpop/core/manifest`), against this core.
 * @throws IncompatiblePluginError on a wrong `apiVersion`; PluginLoadError when the manifest is missing or malformed.
 */
export function checkManifest(packageName: string, manifest: unknown): PluginManifest {
  const checked = inspectManifest(packageName, manifest);
  if (checked.status === "ok") return checked.manifest;
  if (checked.status === "incompatible")
    throw new IncompatiblePluginError({
      plugin: packageName,
      pluginApiVersion: (manifest as { apiVersion?: unknown }).apiVersion,
      coreApiVersion: PLUGIN_API_VERSION,
      coreVersion: CORE_VERSION,
    });
  throw new PluginLoadError({ plugin: packageName, message: checked.error });
}

export type { PluginManifest };

/** Throws a clear error if `value` is not a registered-or-registrable plugin. */
export function assertPlugin(packageName: string, value: unknown): Plugin {
  if (!isPlugin(value)) {
    throw new PluginLoadError({
      plugin: packageName,
      message: `${packageName}: the default export is not a lolpop plugin (export default registerPlugin(definePlugin({...})))`,
    });
  }
  return value;
}

export { LolpopError };
