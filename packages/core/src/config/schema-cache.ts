/**
 * A disk cache of compiled config-schema validators, so a command that validates a config
 * (`lolpop validate`, `run`, `test`) neither loads ajv nor generates validator code again for a
 * schema it has seen before: compiling the dozen schemas of a typical config costs ~100 ms in a
 * fresh process, loading a cached validator well under 1 ms.
 *
 * Each entry is ajv's standalone code of one schema (data only: the schema's own keywords and
 * defaults, never a config value), stored under a hash of the schema, the ajv version and the
 * validator options, after a first line that holds those (so a read checks it has the entry of
 * exactly this schema: a hash collision is a miss, never a wrong validator). Entries are written
 * atomically (temporary file, then rename) and a missing, unreadable, foreign or corrupt entry is
 * compiled again, so the cache can be deleted at any time.
 *
 * Location: `LOLPOP_SCHEMA_CACHE_DIR` when set, else `$XDG_CACHE_HOME/lolpop/schema-validators`
 * (default `~/.cache/lolpop/schema-validators`). `LOLPOP_SCHEMA_CACHE=0` turns the cache off.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";

const require = createRequire(import.meta.url);

/** Where cached validators live, or undefined when the cache is off. */
export function schemaCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LOLPOP_SCHEMA_CACHE === "0") return undefined;
  if (env.LOLPOP_SCHEMA_CACHE_DIR) return env.LOLPOP_SCHEMA_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "lolpop", "schema-validators");
}

let ajvVersion: string | undefined;
function versionOfAjv(): string {
  ajvVersion ??= (require("ajv/package.json") as { version: string }).version;
  return ajvVersion;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(1 << 14);

/**
 * The key of a cache entry for `material` (what the entry is for): a 64-bit non-cryptographic hash
 * (two 32-bit multiply-xorshift lanes over the UTF-8 bytes, a word at a time); another `seed` gives
 * an independent hash of the same material. An entry's file name is its key, and a read checks what
 * the entry stores about its material (the validator cache: the material itself; the config cache:
 * the hash of seed 1), so a collision of names is a cache miss, not a wrong entry. (`node:crypto`
 * would cost ~15 ms of every `lolpop validate` just to load.)
 */
export function cacheKeyOf(material: string, seed = 0): string {
  if (scratch.length < material.length * 3) scratch = new Uint8Array(material.length * 3);
  const n = encoder.encodeInto(material, scratch).written;
  const words = new Int32Array(scratch.buffer, 0, n >>> 2);
  let a = 0x9e3779b9 ^ n ^ Math.imul(seed, 0x2545f491);
  let b = 0x85ebca6b ^ n ^ Math.imul(seed, 0x68e31da4);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    a = Math.imul(a ^ w, 0x01000193);
    b = Math.imul(b ^ w, 0x5bd1e995);
    a ^= a >>> 15;
    b ^= b >>> 13;
  }
  for (let i = n & ~3; i < n; i++) {
    a = Math.imul(a ^ scratch[i]!, 0x01000193);
    b = Math.imul(b ^ scratch[i]!, 0x5bd1e995);
  }
  const fin = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return ((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, "0");
  };
  return fin(a ^ Math.imul(b, 0x27d4eb2f)) + fin(b ^ Math.imul(a, 0x165667b1));
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

/** Evaluates ajv standalone code (CommonJS) with core's `require` (for ajv's runtime helpers). */
function evaluate(code: string): ValidateFunction | undefined {
  const module: { exports: unknown } = { exports: {} };
  new Function("require", "module", "exports", code)(require, module, module.exports);
  const fn = module.exports as ValidateFunction | { default?: ValidateFunction };
  const validate = typeof fn === "function" ? fn : fn.default;
  return typeof validate === "function" ? validate : undefined;
}

/**
 * The first line of an entry: a comment holding the material it is for. JSON has no raw line
 * breaks but may hold U+2028/U+2029, which end a comment in JavaScript: those are escaped.
 */
const header = (entry: SchemaCacheEntry) =>
  `//${entry.material.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")}\n`;

/** The cached validator of `entry`, or undefined (not cached, unreadable, another schema's or corrupt). */
export function loadCachedValidator(dir: string, entry: SchemaCacheEntry): ValidateFunction | undefined {
  let code: string;
  try {
    code = readFileSync(join(dir, `${entry.key}.cjs`), "utf8");
  } catch {
    return undefined;
  }
  if (!code.startsWith(header(entry))) return undefined;
  try {
    return evaluate(code);
  } catch {
    return undefined;
  }
}

/** Stores a validator's standalone code; a cache that cannot be written is skipped silently. */
export function storeCachedValidator(dir: string, entry: SchemaCacheEntry, code: string): void {
  writeCacheFile(dir, `${entry.key}.cjs`, header(entry) + code);
}

/**
 * Writes one cache entry atomically (temporary file, then rename), creating the folder; a cache
 * that cannot be written is skipped silently. Shared by the validator and parsed-config caches.
 */
export function writeCacheFile(dir: string, name: string, text: string): void {
  const file = join(dir, name);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}
