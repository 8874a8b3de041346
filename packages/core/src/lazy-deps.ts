/**
 * `yaml` and `ajv` are loaded on first use, not when core is imported: importing `@lolpop/core`
 * (and so starting the CLI) stays cheap, and a process that never parses or validates a config
 * never loads them. Both ship CommonJS builds, so `require` loads them synchronously.
 *
 * So are the Node built-ins only some commands use (`child_process`, `worker_threads`, `crypto`,
 * `fs/promises`): an ESM `import` of one loads it (and its dependencies: net, dgram, streams,
 * webcrypto...) when core is imported, ~5 ms each of every `lolpop` start-up (`crypto` ~15 ms:
 * `lolpop validate` hashes nothing with it); `require` here loads it on the first call. (Core's
 * ES module build loads `fs/promises`' internals with any import of `node:fs` anyway; its CommonJS
 * build, which `lolpop validate` runs, does not: there it is ~1.5-6 ms.)
 */
import { createRequire } from "node:module";
import type { Ajv } from "ajv";
import type * as YamlModule from "yaml";

const require = createRequire(import.meta.url);

let yamlModule: typeof YamlModule | undefined;
let ajvClass: typeof Ajv | undefined;

/** Loads `yaml`: from core's one-file build of it (dist/yaml-bundle.cjs), else the package (running from source). */
function loadYaml(): typeof YamlModule {
  try {
    return require("./yaml-bundle.cjs") as typeof YamlModule;
  } catch (e) {
    if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
    return require("yaml") as typeof YamlModule;
  }
}

/** The `yaml` module. */
export function yaml(): typeof YamlModule {
  yamlModule ??= loadYaml();
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

/** `node:child_process`, loaded on first use (see the top of this file). */
export function childProcess(): typeof import("node:child_process") {
  return require("node:child_process") as typeof import("node:child_process");
}

/** `node:worker_threads`, loaded on first use (see the top of this file). */
export function workerThreads(): typeof import("node:worker_threads") {
  return require("node:worker_threads") as typeof import("node:worker_threads");
}

/** `node:crypto`, loaded on first use (see the top of this file). */
export function nodeCrypto(): typeof import("node:crypto") {
  return require("node:crypto") as typeof import("node:crypto");
}

let fsPromisesModule: typeof import("node:fs/promises") | undefined;

/** `node:fs/promises`, loaded on first use (see the top of this file); kept (writes call it often). */
export function fsPromises(): typeof import("node:fs/promises") {
  fsPromisesModule ??= require("node:fs/promises") as typeof import("node:fs/promises");
  return fsPromisesModule;
}
