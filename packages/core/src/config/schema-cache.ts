/**
 * A disk cache of compiled config-schema validators, so a command that validates a config
 * (`lolpop validate`, `run`, `test`) neither loads ajv nor generates validator code again for a
 * schema it has seen before: compiling the dozen schemas of a typical config costs ~100 ms in a
 * fresh process, loading a cached validator well under 1 ms.
 *
 * Each entry is ajv's standalone code of one schema (data only: the schema's own keywords and
 * defaults, never a config value), stored under a hash of the schema, the ajv version and the
 * validator options, after a first line that holds those (so a read checks it has the entry of
 * exactly this schema: a hash collision is a miss, never a wrong validator) and a second line that
 * holds a random id of this copy of the code. Next to it, `<key>.cjs.v8` holds V8's code cache of
 * the code for that id (see `code-cache.ts`), written after the validator's first use by a process
 * that had none: later processes deserialize the compiled validator instead of compiling it again.
 * A missing, unreadable, foreign or corrupt entry is compiled again, so the cache can be deleted at
 * any time. Location and switch: {@link schemaCacheDir}.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";
import { cacheKeyOf, runCommonJs, writeCacheFile } from "../code-cache.js";

const require = createRequire(import.meta.url);

let ajvVersion: string | undefined;
function versionOfAjv(): string {
  ajvVersion ??= (require("ajv/package.json") as { version: string }).version;
  return ajvVersion;
}

/** The cache entry of one schema compiled with `options`: its file-name key and the material it is for. */
export interface SchemaCacheEntry {
  key: string;
  material: string;
}

/** The cache entry of a schema compiled with `options`. */
export function schemaCacheEntry(schema: unknown, options: unknown): SchemaCacheEntry {
  const material = JSON.stringify([versionOfAjv(), options, schema]);
  return { key: cacheKeyOf(material), material };
}

/**
 * The first line of an entry: a comment holding the material it is for. JSON has no raw line
 * breaks but may hold U+2028/U+2029, which end a comment in JavaScript: those are escaped.
 */
const header = (entry: SchemaCacheEntry) =>
  `//${entry.material.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")}\n`;

/** The second line of an entry: `//` and the id of this copy of the code (16 hex digits). */
const ID_LINE = /^\/\/([0-9a-f]{16})\n/;

/** A validator loaded from the cache; `afterFirstUse` stores its V8 code cache when it had none. */
export interface CachedValidator {
  validate: ValidateFunction;
  afterFirstUse?: () => void;
}

/** The cached validator of `entry`, or undefined (not cached, unreadable, another schema's or corrupt). */
export function loadCachedValidator(dir: string, entry: SchemaCacheEntry): CachedValidator | undefined {
  const name = `${entry.key}.cjs`;
  let code: string;
  try {
    code = readFileSync(join(dir, name), "utf8");
  } catch {
    return undefined;
  }
  const head = header(entry);
  if (!code.startsWith(head)) return undefined;
  const id = ID_LINE.exec(code.slice(head.length, head.length + 19))?.[1];
  if (!id) return undefined;
  try {
    // ajv's standalone code is CommonJS; its `require` is core's (for ajv's runtime helpers).
    const loaded = runCommonJs(code, { filename: join(dir, name), dir, name: `${name}.v8`, id, require });
    const fn = loaded.exports as ValidateFunction | { default?: ValidateFunction };
    const validate = typeof fn === "function" ? fn : fn.default;
    if (typeof validate !== "function") return undefined;
    return loaded.fromCache ? { validate } : { validate, afterFirstUse: loaded.storeCache };
  } catch {
    return undefined;
  }
}

/** Stores a validator's standalone code; a cache that cannot be written is skipped silently. */
export function storeCachedValidator(dir: string, entry: SchemaCacheEntry, code: string): void {
  const id = cacheKeyOf(`${process.pid} ${Date.now()} ${Math.random()} ${entry.key}`);
  writeCacheFile(dir, `${entry.key}.cjs`, `${header(entry)}//${id}\n${code}`);
}
