#!/usr/bin/env node
// Writes the config schemas file of the first-party plugin package in the current folder (the
// `lolpop.configSchemas` path of its package.json, `./dist/schemas.json`): the JSON Schema of each
// component type's config, from the definitions of the built plugin, with the component's
// description. `lolpop plugins info` and `lolpop schema` read that file instead of importing the
// plugin. Run by each plugin's `build` script after tsup; fails when the manifest's component list
// and the plugin's definitions disagree, so a stale manifest cannot be published. With
// `lolpop.validation` it also writes the validation data (below).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
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
// The package's own @lolpop/core (a dependency of every plugin) writes both files: one source for
// their format, next to the code that reads them.
const core = await import(
  pathToFileURL(join(dir, "node_modules", "@lolpop", "core", "dist", "index.js")).href
);
const schemas = core.configSchemasOf(plugin);
writeFileSync(resolve(dir, rel), `${JSON.stringify(schemas, null, 2)}\n`);
console.log(`${pkg.name}: wrote ${rel} (${plugin.components.length} component types)`);

// The validation data (`lolpop.validation`, ./dist/validation.json): what `lolpop validate` needs
// besides the schemas to plan a config without importing the plugin, from the same definitions
// (core's validationDataOf: a type's checks are `module` when the plugin's checks module,
// `lolpop.configChecks`, exports the very functions the definition uses).
const validationRel = pkg.lolpop.validation;
if (validationRel !== undefined) {
  if (typeof validationRel !== "string") {
    console.error(`${pkg.name}: lolpop.validation must be a path such as ./dist/validation.json`);
    process.exit(1);
  }
  const checksRel = pkg.lolpop.configChecks;
  let checks = {};
  if (checksRel !== undefined) {
    const mod = await import(pathToFileURL(resolve(dir, checksRel)).href);
    checks = mod.configChecks;
    if (!checks || typeof checks !== "object") {
      console.error(
        `${pkg.name}: ${checksRel} does not export configChecks ({ [type]: { checkConfig?, checkPlan? } })`,
      );
      process.exit(1);
    }
  }
  // Its CommonJS build (`lolpop.configChecksCommonJs`, what the code-cached `validate` loads) must
  // export the same checks: loaded as the CLI does, with core's CommonJS build for `@lolpop/core`.
  const checksCjsRel = pkg.lolpop.configChecksCommonJs;
  if (checksCjsRel !== undefined) {
    const coreDist = join(dir, "node_modules", "@lolpop", "core", "dist");
    const require = createRequire(import.meta.url);
    const { loadCommonJs } = require(join(coreDist, "code-cache.cjs"));
    const env = { LOLPOP_SCHEMA_CACHE: "0" };
    const { commonJsModules: modules } = loadCommonJs(join(coreDist, "index.cjs"), { env }).exports;
    const built = loadCommonJs(resolve(dir, checksCjsRel), { modules, env }).exports.configChecks;
    const shape = (c) =>
      JSON.stringify(
        Object.keys(c ?? {})
          .sort()
          .map((t) => [t, Object.keys(c[t]).sort()]),
      );
    if (shape(built) !== shape(checks)) {
      console.error(
        `${pkg.name}: ${checksCjsRel} does not export the checks of ${checksRel}: ${shape(built)} vs ${shape(checks)}; build both from one source`,
      );
      process.exit(1);
    }
  }
  let data;
  try {
    data = core.validationDataOf(plugin, pkg, checks);
  } catch (e) {
    console.error(`${pkg.name}: ${checksRel}: ${e.message}`);
    process.exit(1);
  }
  writeFileSync(resolve(dir, validationRel), `${JSON.stringify(data, null, 2)}\n`);
  const byChecks = (v) => data.types.filter((t) => t.checks === v).length;
  console.log(
    `${pkg.name}: wrote ${validationRel} (${byChecks("none")} types without code checks, ${byChecks("module")} checked by ${checksRel ?? "no checks module"}, ${byChecks("plugin")} needing the plugin)`,
  );
}
