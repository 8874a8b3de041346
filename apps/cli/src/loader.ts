/**
 * Importing plugins (they self-register with @lolpop/core). Only commands that build or inspect
 * components come here; listing plugins reads manifests only (see discovery.ts).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  assertPlugin,
  describePlugin,
  getPlugin,
  type JsonSchema,
  LolpopError,
  type Plugin,
  PluginLoadError,
  registerPlugin,
  type TypeCodeChecks,
  usableValidationData,
} from "@lolpop/core";
import { type DiscoveredPlugin, entryOf, readJson } from "./discovery.js";
import { importUrl, loadCommonJsBuild } from "./import-url.js";
import type { ComponentInfo } from "./schemas.js";

/** Imports a plugin package (it self-registers) and checks its default export. Returns the plugin object. */
export async function importPlugin(p: DiscoveredPlugin): Promise<Plugin> {
  let mod: { default?: unknown };
  try {
    mod = (await importUrl(pathToFileURL(entryOf(p.dir)).href)) as { default?: unknown };
  } catch (e) {
    throw new PluginLoadError({
      plugin: p.name,
      message: `plugin ${p.name} failed to load: ${(e as Error)?.message ?? String(e)}`,
      cause: e,
    });
  }
  const plugin = registerPlugin(assertPlugin(p.name, mod.default));
  if (p.manifest) {
    const actual = new Set(plugin.components.map((c) => c.type));
    const listed = new Set(p.manifest.components.map((c) => c.type));
    const notInCode = [...listed].filter((t) => !actual.has(t));
    const notListed = [...actual].filter((t) => !listed.has(t));
    if (notInCode.length)
      p.warnings.push(`the manifest lists ${notInCode.join(", ")}, which the plugin does not define`);
    if (notListed.length)
      p.warnings.push(
        `the plugin defines ${notListed.join(", ")}, missing from its manifest (so \`lolpop plugins list\` and discovery do not see them)`,
      );
  }
  return plugin;
}

/** A JSON file's content, or undefined when it cannot be read or parsed. */
function readJsonOrUndefined(file: string): unknown {
  try {
    return readJson(file);
  } catch {
    return undefined;
  }
}

/** A plugin's shipped validation data, its schemas and the code checks of its used types. */
interface Description {
  data: NonNullable<ReturnType<typeof usableValidationData>>;
  schemas: Record<string, JsonSchema>;
  checks: Record<string, TypeCodeChecks>;
}

/**
 * What registers `p` from the data its package ships instead of its code: `lolpop.validation` +
 * `configSchemas`, and the checks module `lolpop.configChecks` (or its CommonJS build,
 * `lolpop.configChecksCommonJs`, see {@link loadCommonJsBuild}) when a used type has code checks
 * there. Undefined when the data is missing, of another format or stale (generated for another
 * version than the installed one), or when a used type's checks need the plugin's code: then the
 * caller imports the plugin as before. Never throws, so loadPlugins can prepare every plugin at
 * once (their checks modules load in parallel) and register them in order.
 */
async function prepareDescription(
  p: DiscoveredPlugin,
  used: ReadonlySet<string> | "all",
): Promise<Description | undefined> {
  const m = p.manifest;
  if (!m || typeof m.validation !== "string" || typeof m.configSchemas !== "string") return undefined;
  const schemas = readJsonOrUndefined(resolve(p.dir, m.configSchemas)) as
    | Record<string, JsonSchema>
    | undefined;
  let data: ReturnType<typeof usableValidationData>;
  try {
    data = usableValidationData(readJsonOrUndefined(resolve(p.dir, m.validation)), p, schemas);
  } catch {
    return undefined;
  }
  if (!data || !schemas) return undefined;
  const needed = used === "all" ? [] : data.types.filter((t) => used.has(t.type));
  if (needed.some((t) => t.checks === "plugin")) return undefined;
  let checks: Record<string, TypeCodeChecks> = {};
  if (needed.some((t) => t.checks === "module")) {
    if (typeof m.configChecks !== "string") return undefined;
    try {
      checks = (await checksModuleOf(p.dir, m.configChecks, m.configChecksCommonJs)) ?? {};
    } catch {
      return undefined; // importing the plugin reports what is wrong with it
    }
    if (needed.some((t) => t.checks === "module" && !checks[t.type])) return undefined;
  }
  return { data, schemas, checks };
}

type ChecksModule = { configChecks?: Record<string, TypeCodeChecks> } | undefined;

/**
 * The `configChecks` export of a plugin's checks module: its CommonJS build (`commonJs`) when the
 * plugin ships one and this is the code-cached `validate` (a build that fails to load is passed
 * over: the ES module finds the same), else the ES module `esm`.
 * @throws what importing the ES module throws.
 */
async function checksModuleOf(dir: string, esm: string, commonJs: string | undefined) {
  if (typeof commonJs === "string") {
    try {
      const built = loadCommonJsBuild(resolve(dir, commonJs)) as ChecksModule;
      if (built?.configChecks) return built.configChecks;
    } catch {
      // the ES module below
    }
  }
  return ((await importUrl(pathToFileURL(resolve(dir, esm)).href)) as ChecksModule)?.configChecks;
}

/** Registers a prepared description; false (nothing registered) when it is undefined or refused. */
function registerDescription(d: Description | undefined): boolean {
  if (!d) return false;
  try {
    registerPlugin(describePlugin(d.data, d.schemas, d.checks));
  } catch {
    return false;
  }
  return true;
}

/**
 * Imports the discovered plugins that provide a used type (all of them when `all`). A plugin that
 * fails is reported in the returned list and the rest keep working. With `describe` (what
 * `lolpop validate` does), a plugin whose package ships usable validation data is registered from
 * it instead (see {@link prepareDescription}); its code is not imported.
 */
export async function loadPlugins(
  plugins: DiscoveredPlugin[],
  used: ReadonlySet<string> | "all",
  options: { describe?: boolean } = {},
): Promise<Array<{ plugin: string; error: string }>> {
  const failures: Array<{ plugin: string; error: string }> = [];
  const wanted = (p: DiscoveredPlugin) =>
    p.status === "ok" && (used === "all" || p.manifest!.components.some((c) => used.has(c.type)));
  // Listing every type ("did you mean"): a plugin already registered (described or not) has the
  // types the config uses and is kept; the others are described whole (unused types: no checks run).
  const kept = (p: DiscoveredPlugin) => options.describe === true && used === "all" && !!getPlugin(p.name);
  const describable = (p: DiscoveredPlugin) => options.describe === true && wanted(p) && !kept(p);
  // Descriptions are prepared all at once (the checks modules load in parallel, ~4 ms each one
  // after another) and registered below in discovery order, like imported plugins.
  const prepared = new Map(plugins.filter(describable).map((p) => [p, prepareDescription(p, used)]));
  for (const p of plugins) {
    if (p.status !== "ok") {
      failures.push({ plugin: p.name, error: p.error ?? p.status });
      continue;
    }
    if (!wanted(p)) continue;
    try {
      if (kept(p)) continue;
      const description = prepared.get(p);
      if (description && registerDescription(await description)) continue;
      await importPlugin(p);
    } catch (e) {
      p.status = LolpopError.isInstance(e) && e.code === "plugin_incompatible" ? "incompatible" : "broken";
      p.error = (e as Error).message;
      failures.push({ plugin: p.name, error: p.error });
    }
  }
  return failures;
}

function schemasFromManifest(p: DiscoveredPlugin): Map<string, Record<string, unknown>> | undefined {
  const rel = p.manifest?.configSchemas;
  if (typeof rel !== "string") return undefined;
  const file = resolve(p.dir, rel);
  if (!existsSync(file)) return undefined;
  try {
    const data = readJson(file);
    const out = new Map<string, Record<string, unknown>>();
    for (const [type, schema] of Object.entries(data))
      if (schema && typeof schema === "object") out.set(type, schema as Record<string, unknown>);
    return out;
  } catch (e) {
    p.warnings.push(`cannot read ${rel}: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * The components of a plugin with their config schemas: from the manifest's `configSchemas` file
 * when it covers every component (no code runs), else from the plugin's definitions after importing it.
 * @throws PluginLoadError when the plugin has to be imported and fails to load.
 */
export async function componentInfos(p: DiscoveredPlugin): Promise<ComponentInfo[]> {
  const listed = p.manifest?.components ?? [];
  const fromFile = schemasFromManifest(p);
  if (fromFile && listed.every((c) => fromFile.has(c.type))) {
    return listed.map((c) => {
      const schema = fromFile.get(c.type)!;
      return {
        plugin: p.name,
        kind: c.kind,
        type: c.type,
        ...(typeof schema.description === "string" ? { description: schema.description } : {}),
        configSchema: schema,
        source: "manifest" as const,
      };
    });
  }
  const plugin = await importPlugin(p);
  return plugin.components.map((d) => ({
    plugin: p.name,
    kind: d.kind,
    type: d.type,
    ...(d.description ? { description: d.description } : {}),
    configSchema: d.configSchema,
    source: "code" as const,
  }));
}
