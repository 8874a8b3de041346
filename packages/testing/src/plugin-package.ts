/**
 * Checks of a plugin package against its plugin object: the package.json manifest (what
 * `lolpop plugins list` and discovery read without importing the code) must match the plugin.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isPlugin, type Plugin } from "@lolpop/core";
import { checkManifestCommands, inspectManifest, PLUGIN_API_VERSION } from "@lolpop/core/manifest";
import { expectThat } from "./behaviour.js";
import type { ConformanceCheck, TestApi } from "./conformance.js";
import { globalTestApi } from "./conformance.js";

/** Options of {@link pluginPackageChecks}. */
export interface PluginPackageOptions {
  /** The package folder (a path or a `file:` URL such as `new URL("..", import.meta.url)`). */
  dir: string | URL;
  /** The plugin object (the package's default export). */
  plugin: Plugin;
}

function folder(dir: string | URL): string {
  return typeof dir === "string" ? resolve(dir) : fileURLToPath(dir);
}

function entryTarget(exp: unknown): string | undefined {
  let t: unknown = typeof exp === "string" ? exp : (exp as Record<string, unknown> | undefined)?.["."];
  while (t && typeof t === "object") {
    const o = t as Record<string, unknown>;
    t = o.import ?? o.default ?? o.node;
  }
  return typeof t === "string" ? t : undefined;
}

function norm(p: string): string {
  return p.replace(/^\.\//, "");
}

/** The package checks, in order. */
export function pluginPackageChecks(options: PluginPackageOptions): ConformanceCheck[] {
  const dir = folder(options.dir);
  const read = () => {
    const file = join(dir, "package.json");
    expectThat(existsSync(file), `no package.json in ${dir}`);
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, any>;
  };
  const plugin = options.plugin;
  const check = (name: string, fn: () => void | Promise<void>): ConformanceCheck => ({
    name,
    run: async () => fn(),
  });
  return [
    check("the default export is a lolpop plugin named and versioned like the package", () => {
      const pkg = read();
      expectThat(
        isPlugin(plugin),
        "the value given is not a plugin: export default registerPlugin(definePlugin({...}))",
      );
      expectThat(
        plugin.name === pkg.name,
        `plugin name ${plugin.name} differs from the package name ${pkg.name}`,
      );
      expectThat(
        plugin.version === pkg.version,
        `plugin version ${plugin.version} differs from the package version ${pkg.version}`,
      );
      expectThat(
        plugin.apiVersion === PLUGIN_API_VERSION,
        `the plugin targets API ${plugin.apiVersion}, core has ${PLUGIN_API_VERSION}`,
      );
    }),
    check(`package.json has a "lolpop" manifest for plugin API ${PLUGIN_API_VERSION}`, () => {
      const pkg = read();
      // Core's manifest rule: the one the CLI's discovery applies before importing the plugin.
      const checked = inspectManifest(String(pkg.name), pkg.lolpop);
      expectThat(
        checked.status === "ok",
        checked.status === "ok" ? "" : `${checked.error} Fix: ${checked.fix}`,
      );
    }),
    check("the manifest lists exactly the plugin's components (kind and type)", () => {
      const listed = ((read().lolpop?.components ?? []) as Array<{ kind: string; type: string }>)
        .map((c) => `${c.kind}:${c.type}`)
        .sort();
      const actual = plugin.components.map((c) => `${c.kind}:${c.type}`).sort();
      const missing = actual.filter((c) => !listed.includes(c));
      const extra = listed.filter((c) => !actual.includes(c));
      expectThat(
        missing.length === 0 && extra.length === 0,
        `${missing.length ? `missing from the manifest: ${missing.join(", ")}. ` : ""}${extra.length ? `listed but not defined: ${extra.join(", ")}.` : ""}`,
      );
    }),
    check("ESM package exporting ./package.json, with @lolpop/core as a peer dependency", () => {
      const pkg = read();
      expectThat(pkg.type === "module", 'package.json needs "type": "module"');
      expectThat(pkg.exports && typeof pkg.exports === "object", "package.json needs an exports map");
      expectThat(
        pkg.exports["./package.json"] !== undefined,
        'exports must include "./package.json" (discovery reads it)',
      );
      expectThat(
        pkg.peerDependencies?.["@lolpop/core"],
        "@lolpop/core must be a peerDependency (one copy of core per project)",
      );
      expectThat(
        !pkg.dependencies?.["@lolpop/core"],
        "@lolpop/core must not be a dependency (it would install a second copy): move it to peerDependencies",
      );
    }),
    check("the self-registering entry is listed in sideEffects", () => {
      const pkg = read();
      const entry = entryTarget(pkg.exports) ?? pkg.module ?? pkg.main;
      expectThat(typeof entry === "string", "package.json must point at its entry (exports '.' import)");
      expectThat(
        pkg.sideEffects !== false,
        'sideEffects: false lets bundlers drop `import "<plugin>"`, which registers it: list the entry instead',
      );
      if (Array.isArray(pkg.sideEffects))
        expectThat(
          (pkg.sideEffects as string[]).some((s) => norm(s) === norm(entry)),
          `sideEffects must list the entry ${entry} (it registers the plugin on import)`,
        );
    }),
    check("config schemas file (lolpop.configSchemas), when built, matches the definitions", () => {
      const pkg = read();
      const rel = pkg.lolpop?.configSchemas;
      if (rel === undefined) return;
      expectThat(typeof rel === "string", "lolpop.configSchemas must be a path");
      const file = resolve(dir, rel);
      expectThat(
        !relative(dir, file).startsWith("..") && !isAbsolute(relative(dir, file)),
        "lolpop.configSchemas must be inside the package",
      );
      const files = (pkg.files ?? []) as string[];
      expectThat(
        files.length === 0 || files.some((f) => norm(rel).startsWith(norm(f))),
        `lolpop.configSchemas (${rel}) is not in "files": it would be missing from the published package`,
      );
      if (!existsSync(file)) return; // built by the package's build step
      const schemas = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
      for (const c of plugin.components) {
        const s = schemas[c.type];
        expectThat(s, `${rel} has no schema for ${c.type}: rebuild the package`);
        const { description: _d, ...rest } = s;
        const { description: _e, ...expected } = c.configSchema as Record<string, unknown>;
        expectThat(
          JSON.stringify(rest) === JSON.stringify(expected),
          `${rel}: the schema of ${c.type} is out of date: rebuild the package`,
        );
      }
    }),
    check("manifest commands point at modules inside the package", () => {
      const commands = read().lolpop?.commands;
      if (commands === undefined) return;
      // Core's command rule, as discovery applies it (an entry breaking it is ignored by `lolpop`).
      const checked = checkManifestCommands(dir, commands);
      expectThat(checked.problems.length === 0, checked.problems.join("; "));
      for (const c of checked.commands)
        expectThat(c.description, `command ${c.name} needs a description (shown in lolpop --help)`);
    }),
  ];
}

/** Registers the package checks as a `describe` block. */
export function describePluginPackage(options: PluginPackageOptions & { test?: TestApi }): void {
  const api = options.test ?? globalTestApi();
  api.describe(`plugin package ${options.plugin?.name ?? folder(options.dir)}`, () => {
    for (const c of pluginPackageChecks(options)) api.it(c.name, c.run);
  });
}
