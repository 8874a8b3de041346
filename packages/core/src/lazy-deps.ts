/**
 * `yaml` and `ajv` are loaded on first use, not when core is imported: importing `@lolpop/core`
 * (and so starting the CLI) stays cheap, and a process that never parses or validates a config
 * never loads them. Both ship CommonJS builds, so `require` loads them synchronously.
 */
import { createRequire } from "node:module";
import type { Ajv } from "ajv";
import type * as YamlModule from "yaml";

const require = createRequire(import.meta.url);

let yamlModule: typeof YamlModule | undefined;
let ajvClass: typeof Ajv | undefined;

/** The `yaml` module. */
export function yaml(): typeof YamlModule {
  yamlModule ??= require("yaml") as typeof YamlModule;
  return yamlModule;
}

/** The `Ajv` class. */
export function ajvConstructor(): typeof Ajv {
  if (!ajvClass) {
    const mod = require("ajv") as { default?: typeof Ajv } & typeof Ajv;
    ajvClass = mod.default ?? mod;
  }
  return ajvClass;
}
