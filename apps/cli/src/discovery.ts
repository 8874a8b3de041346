/**
 * Plugin discovery, anchored at the project (never at the CLI's own install folder):
 * 1. the config's `plugins:` list (package names or relative paths), else
 * 2. the project's package.json dependencies/devDependencies whose package.json has a `lolpop` field.
 * Manifests are read without importing code; only plugins providing types the config uses are imported.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  assertPlugin,
  checkManifest,
  LolpopError,
  PluginLoadError,
  type PluginManifest,
  registerPlugin,
} from "@lolpop/core";

/** A plugin found in the project. */
export interface DiscoveredPlugin {
  name: string;
  version: string;
  /** Package folder. */
  dir: string;
  manifest?: PluginManifest;
  status: "ok" | "broken" | "incompatible";
  error?: string;
}

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

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** Finds a package's folder as seen from `root` (works with pnpm's strict layout). */
export function resolvePackageDir(name: string, root: string): string {
  if (name.startsWith(".") || isAbsolute(name)) return resolve(root, name);
  const req = createRequire(join(root, "noop.js"));
  try {
    return dirname(realpathSync(req.resolve(`${name}/package.json`)));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
      // The package hides ./package.json: walk up from its entry instead.
      const entry = req.resolve(name);
      let dir = dirname(entry);
      while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
      return dir;
    }
    throw new PluginLoadError({
      plugin: name,
      message: `plugin ${name} is not installed in ${root}: install it with \`npm install ${name}\``,
      cause: e,
    });
  }
}

/** Names of the plugin packages the project declares. */
export function declaredPlugins(root: string, pluginList?: string[]): string[] {
  if (pluginList) return pluginList;
  const pkgRoot = findPackageRoot(root);
  if (!pkgRoot) return [];
  const pkg = readJson(join(pkgRoot, "package.json"));
  const names = Object.keys({ ...(pkg.dependencies as object), ...(pkg.devDependencies as object) });
  const out: string[] = [];
  for (const name of names) {
    try {
      const dir = resolvePackageDir(name, pkgRoot);
      if (readJson(join(dir, "package.json")).lolpop !== undefined) out.push(name);
    } catch {
      // Not installed: `lolpop plugins list` reports declared-but-missing packages; run ignores non-plugins.
    }
  }
  return out;
}

/** Reads every declared plugin's manifest (no plugin code runs). */
export function discoverPlugins(root: string, pluginList?: string[]): DiscoveredPlugin[] {
  return declaredPlugins(root, pluginList).map((name) => {
    let dir = "";
    try {
      dir = resolvePackageDir(name, findPackageRoot(root) ?? root);
      const pkg = readJson(join(dir, "package.json"));
      const manifest = checkManifest(String(pkg.name ?? name), pkg.lolpop);
      return {
        name: String(pkg.name ?? name),
        version: String(pkg.version ?? "0.0.0"),
        dir,
        manifest,
        status: "ok" as const,
      };
    } catch (e) {
      const incompatible = LolpopError.isInstance(e) && e.code === "plugin_incompatible";
      return {
        name,
        version: "",
        dir,
        status: incompatible ? ("incompatible" as const) : ("broken" as const),
        error: (e as Error).message,
      };
    }
  });
}

function entryOf(dir: string): string {
  const pkg = readJson(join(dir, "package.json"));
  const exp = pkg.exports as Record<string, unknown> | string | undefined;
  let target: unknown = typeof exp === "string" ? exp : (exp?.["."] ?? undefined);
  while (target && typeof target === "object") {
    const t = target as Record<string, unknown>;
    target = t.import ?? t.default ?? t.node;
  }
  const rel =
    (typeof target === "string" ? target : undefined) ??
    (pkg.module as string | undefined) ??
    (pkg.main as string | undefined) ??
    "index.js";
  return join(dir, rel);
}

/** Imports a plugin package (it self-registers) and checks its default export. */
export async function importPlugin(p: DiscoveredPlugin): Promise<void> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(entryOf(p.dir)).href)) as { default?: unknown };
  } catch (e) {
    throw new PluginLoadError({
      plugin: p.name,
      message: `plugin ${p.name} failed to load: ${(e as Error).message}`,
      cause: e,
    });
  }
  registerPlugin(assertPlugin(p.name, mod.default));
}

/** Type names a config uses (runner, pipelines, components at both levels). */
export function typesUsed(data: unknown): Set<string> {
  const out = new Set<string>();
  if (!data || typeof data !== "object") return out;
  const d = data as Record<string, unknown>;
  const add = (v: unknown) =>
    typeof v === "string" && out.add(v.includes("/") ? v.slice(v.lastIndexOf("/") + 1) : v);
  add(d.runner);
  for (const section of [d.pipelines, d.components])
    if (section && typeof section === "object") Object.values(section).forEach(add);
  if (d.pipelines && typeof d.pipelines === "object") {
    for (const name of Object.keys(d.pipelines)) {
      const comps = (d[name] as Record<string, unknown> | undefined)?.components;
      if (comps && typeof comps === "object") Object.values(comps).forEach(add);
    }
  }
  return out;
}

/**
 * Imports the discovered plugins that provide a used type (all of them when `all`). A plugin that
 * fails is reported in the returned list and the rest keep working.
 */
export async function loadPlugins(
  plugins: DiscoveredPlugin[],
  used: Set<string> | "all",
): Promise<Array<{ plugin: string; error: string }>> {
  const failures: Array<{ plugin: string; error: string }> = [];
  for (const p of plugins) {
    if (p.status !== "ok") {
      failures.push({ plugin: p.name, error: p.error ?? p.status });
      continue;
    }
    if (used !== "all" && !p.manifest!.components.some((c) => used.has(c.type))) continue;
    try {
      await importPlugin(p);
    } catch (e) {
      p.status = "broken";
      p.error = (e as Error).message;
      failures.push({ plugin: p.name, error: p.error });
    }
  }
  return failures;
}
