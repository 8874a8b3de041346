/**
 * A disk cache of compiled config-schema validators, so a command that validates a config
 * (`lolpop validate`, `run`, `test`) neither loads ajv nor generates validator code again for a
 * schema it has seen before: compiling the dozen schemas of a typical config costs ~100 ms in a
 * fresh process, loading a cached validator well under 1 ms.
 *
 * Each entry is ajv's standalone code of one schema (data only: the schema's own keywords and
 * defaults, never a config value), stored under a hash of the schema, the ajv version and the
 * validator options. Entries are written atomically (temporary file, then rename) and a missing,
 * unreadable or corrupt entry is compiled again, so the cache can be deleted at any time.
 *
 * Location: `LOLPOP_SCHEMA_CACHE_DIR` when set, else `$XDG_CACHE_HOME/lolpop/schema-validators`
 * (default `~/.cache/lolpop/schema-validators`). `LOLPOP_SCHEMA_CACHE=0` turns the cache off.
 */
import { createHash } from "node:crypto";
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

/** The cache key of a schema compiled with `options`. */
export function schemaCacheKey(schema: unknown, options: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([versionOfAjv(), options, schema]))
    .digest("hex")
    .slice(0, 40);
}

/** Evaluates ajv standalone code (CommonJS) with core's `require` (for ajv's runtime helpers). */
function evaluate(code: string): ValidateFunction | undefined {
  const module: { exports: unknown } = { exports: {} };
  new Function("require", "module", "exports", code)(require, module, module.exports);
  const fn = module.exports as ValidateFunction | { default?: ValidateFunction };
  const validate = typeof fn === "function" ? fn : fn.default;
  return typeof validate === "function" ? validate : undefined;
}

/** The cached validator for `key`, or undefined (not cached, unreadable or corrupt). */
export function loadCachedValidator(dir: string, key: string): ValidateFunction | undefined {
  let code: string;
  try {
    code = readFileSync(join(dir, `${key}.cjs`), "utf8");
  } catch {
    return undefined;
  }
  try {
    return evaluate(code);
  } catch {
    return undefined;
  }
}

/** Stores a validator's standalone code; a cache that cannot be written is skipped silently. */
export function storeCachedValidator(dir: string, key: string, code: string): void {
  writeCacheFile(dir, `${key}.cjs`, code);
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
