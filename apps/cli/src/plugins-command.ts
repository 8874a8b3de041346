/**
 * `lolpop plugins list` (manifests only: no plugin code runs) and `lolpop plugins info <name>`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  cliPackageDir,
  type DiscoveredPlugin,
  discoverProject,
  findPackageRoot,
  type ProjectDiscovery,
} from "./discovery.js";
import { cell, ExitError, renderTable } from "./format.js";
import { HANDOFF_FROM_ENV } from "./handoff.js";
import { type ComponentInfo, configRows } from "./schemas.js";

/** The running CLI: version, folder, and the global copy that handed off to it, if any. */
export interface CliInfo {
  version: string;
  path: string;
  handedOffFrom?: string;
}

/** Version and folder of the running CLI. */
export function cliInfo(): CliInfo {
  const dir = cliPackageDir();
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
  const from = process.env[HANDOFF_FROM_ENV];
  return { version: pkg.version, path: dir, ...(from ? { handedOffFrom: from } : {}) };
}

/** Finds the config whose `plugins:` list applies: `--config`, else lolpop.yaml in the project root or cwd. */
export function findConfig(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  for (const dir of [cwd, findPackageRoot(cwd)]) {
    if (!dir) continue;
    for (const name of ["lolpop.yaml", "lolpop.yml"]) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Reads the `plugins:` list of a config without importing the YAML parser for files that have none. */
async function pluginListFrom(file: string | undefined): Promise<string[] | undefined> {
  if (!file || !existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  if (!/^plugins\s*:/m.test(text)) return undefined;
  const { parseConfigText } = await import("@lolpop/core");
  const { pluginListOf } = await import("./project.js");
  return pluginListOf(parseConfigText(text, file).data);
}

/** Discovery for the project around `cwd` (or the given config). */
export async function discoverHere(config: string | undefined): Promise<ProjectDiscovery> {
  const file = findConfig(config);
  if (config && (!file || !existsSync(file)))
    throw new ExitError(
      2,
      `no config file at ${file ?? config}: pass the path of your lolpop.yaml with --config`,
    );
  const root = file ? resolve(file, "..") : process.cwd();
  return discoverProject({
    root,
    pluginList: await pluginListFrom(file),
    ...(file ? { configFile: file } : {}),
    cliDir: cliPackageDir(),
  });
}

/** JSON shape of one plugin in `plugins list --json`. */
export function pluginJson(p: DiscoveredPlugin) {
  const components = p.manifest?.components ?? [];
  return {
    name: p.name,
    version: p.version,
    status: p.status,
    ...(p.error ? { error: p.error } : {}),
    ...(p.fix ? { fix: p.fix } : {}),
    kinds: [...new Set(components.map((c) => c.kind))],
    types: components.map((c) => ({ kind: c.kind, type: c.type })),
    commands: ((p.manifest?.commands ?? []) as Array<{ name?: unknown }>)
      .map((c) => c?.name)
      .filter((n): n is string => typeof n === "string"),
    path: p.dir,
    via: p.via,
    ...(p.core ? { core: p.core } : {}),
    warnings: p.warnings,
  };
}

/** The whole `plugins list --json` document. */
export function listJson(d: ProjectDiscovery, cli: CliInfo) {
  return {
    project: d.root,
    ...(d.configFile ? { config: d.configFile } : {}),
    ...(d.pluginList ? { plugin_list: d.pluginList } : {}),
    cli,
    cores: d.cores,
    duplicate_core: d.duplicateCore,
    plugins: d.plugins.map(pluginJson),
    conflicts: d.conflicts,
    commands: d.commands.map((c) => ({ name: c.name, description: c.description, plugin: c.plugin })),
    problems: d.problems,
  };
}

/** Text for people. */
export function renderList(d: ProjectDiscovery, cli: CliInfo): string {
  const lines: string[] = [];
  lines.push(`project  ${d.root}${d.pluginList ? `  (plugins: list in ${d.configFile})` : ""}`);
  lines.push(
    `cli      @lolpop/cli ${cli.version}  ${cli.path}${cli.handedOffFrom ? `  (handed off from ${cli.handedOffFrom})` : ""}`,
  );
  for (const c of d.cores)
    lines.push(`core     @lolpop/core ${c.version}  ${c.path}  (${c.usedBy.join(", ")})`);
  lines.push("");
  if (d.plugins.length === 0) {
    lines.push(
      "No lolpop plugins found: add some to the project (npm install @lolpop/workflows @lolpop/local) or list them under plugins: in lolpop.yaml.",
    );
  } else {
    lines.push(
      renderTable(
        ["PLUGIN", "VERSION", "STATUS", "TYPES"],
        d.plugins.map((p) => [
          p.name,
          p.version,
          p.status,
          // The last column: never cut (a type name cut short cannot be written in a config).
          (p.manifest?.components ?? []).map((c) => `${c.type} (${c.kind})`).join(", "),
        ]),
      ),
    );
    for (const p of d.plugins) {
      const notes = [
        ...(p.error ? [`${p.status}: ${p.error}`] : []),
        ...(p.fix ? [`fix: ${p.fix}`] : []),
        ...p.warnings.map((w) => `warning: ${w}`),
      ];
      if (notes.length || p.status !== "ok")
        lines.push("", `${p.name}  (${p.dir || "not resolved"})`, ...notes.map((n) => `  ${n}`));
    }
  }
  if (d.commands.length) {
    lines.push("", "Commands from plugins:");
    for (const c of d.commands) lines.push(`  lolpop ${c.name}  ${c.description}  (${c.plugin})`);
  }
  const general = d.problems.filter((p) => !p.plugin);
  if (general.length) {
    lines.push("", "Problems:");
    for (const p of general) lines.push(`  - ${p.message}`, `    fix: ${p.fix}`);
  }
  return lines.join("\n");
}

/** Finds a plugin by package name or short name (`local` for `@lolpop/local`, `lolpop-plugin-x`...). */
export function findPlugin(d: ProjectDiscovery, name: string): DiscoveredPlugin | undefined {
  const exact = d.plugins.find((p) => p.name === name);
  if (exact) return exact;
  const candidates = [`@lolpop/${name}`, `lolpop-plugin-${name}`, `lolpop-${name}`];
  return (
    d.plugins.find((p) => candidates.includes(p.name)) ??
    d.plugins.find((p) => p.name.endsWith(`/${name}`) || p.name.endsWith(`/lolpop-${name}`))
  );
}

/** JSON of `plugins info`. */
export function infoJson(p: DiscoveredPlugin, components: ComponentInfo[]) {
  return {
    ...pluginJson(p),
    components: components.map((c) => ({
      kind: c.kind,
      type: c.type,
      ...(c.description ? { description: c.description } : {}),
      schema_source: c.source,
      config: configRows(c.configSchema),
      config_schema: c.configSchema,
    })),
  };
}

/** Text of `plugins info`. */
export function renderInfo(p: DiscoveredPlugin, components: ComponentInfo[]): string {
  const lines = [`${p.name} ${p.version}  (${p.status})`, `  ${p.dir}`];
  for (const w of p.warnings) lines.push(`  warning: ${w}`);
  for (const c of components) {
    lines.push("", `${c.type}  (${c.kind})${c.description ? `: ${c.description}` : ""}`);
    const rows = configRows(c.configSchema);
    if (rows.length === 0) {
      lines.push("  no config keys");
      continue;
    }
    lines.push(
      renderTable(
        ["KEY", "TYPE", "DEFAULT", "DESCRIPTION"],
        // Keys and types in full (an enum's values are the choices); long defaults are shortened.
        rows.map((r) => [
          r.key,
          cell(r.type, Infinity),
          cell(r.default, 40),
          r.description.replace(/\s+/g, " "),
        ]),
        "  ",
      ),
    );
  }
  return lines.join("\n");
}
