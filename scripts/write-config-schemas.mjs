#!/usr/bin/env node
// Writes the config schemas file of the first-party plugin package in the current folder (the
// `lolpop.configSchemas` path of its package.json, `./dist/schemas.json`): the JSON Schema of each
// component type's config, from the definitions of the built plugin, with the component's
// description. `lolpop plugins info` and `lolpop schema` read that file instead of importing the
// plugin. Run by each plugin's `build` script after tsup; fails when the manifest's component list
// and the plugin's definitions disagree, so a stale manifest cannot be published.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const rel = pkg.lolpop?.configSchemas;
if (typeof rel !== "string") {
  console.error(`${pkg.name}: package.json has no lolpop.configSchemas path`);
  process.exit(1);
}
const entry = pkg.exports?.["."]?.import ?? pkg.main;
const { default: plugin } = await import(pathToFileURL(resolve(dir, entry)).href);
if (!plugin || !Array.isArray(plugin.components)) {
  console.error(`${pkg.name}: ${entry} has no plugin as its default export`);
  process.exit(1);
}
const key = (c) => `${c.kind}/${c.type}`;
const listed = (pkg.lolpop.components ?? []).map(key).sort();
const defined = plugin.components.map(key).sort();
if (JSON.stringify(listed) !== JSON.stringify(defined)) {
  console.error(
    `${pkg.name}: the manifest lists ${listed.join(", ") || "no component"}, the plugin defines ${defined.join(", ") || "none"}: update lolpop.components in package.json`,
  );
  process.exit(1);
}
const schemas = Object.fromEntries(
  plugin.components.map((c) => [
    c.type,
    { ...c.configSchema, ...(c.description ? { description: c.description } : {}) },
  ]),
);
writeFileSync(resolve(dir, rel), `${JSON.stringify(schemas, null, 2)}\n`);
console.log(`${pkg.name}: wrote ${rel} (${plugin.components.length} component types)`);
