/**
 * A disk cache of parsed config files, next to the schema-validator cache (same folder, same
 * switch): a command that reads a config it has read before (`lolpop validate`, `run`, `test`)
 * neither loads the YAML parser (~270 kB of code) nor parses the file again. A fresh process spends
 * ~30-40 ms on that; reading a cached entry costs well under 1 ms.
 *
 * An entry is the parsed data of one file as JSON, stored under a hash of the file's text, core's
 * version and the YAML library's version, with a second, independent hash of the same inside, which
 * a read checks: an edited file or an upgrade never reads a stale entry, and two texts would need
 * both 64-bit hashes equal to share one. (The text itself is not stored: its comments may hold
 * anything.) Line and column lookups (`locate`, only needed to report a problem) parse the text on
 * first use, so errors point at the same places as without the cache. Only plain JSON data is
 * stored (no YAML aliases, special numbers or tagged values), and never a file that holds a
 * literal value under a secret-looking key (`password: hunter2`): `${env:...}` references are
 * stored as written, their values never.
 *
 * Location and switch: see {@link schemaCacheDir} (`LOLPOP_SCHEMA_CACHE_DIR`, `LOLPOP_SCHEMA_CACHE=0`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cacheKeyOf, schemaCacheDir, writeCacheFile } from "../code-cache.js";
import { isSecretKey } from "../redact.js";
import { CORE_VERSION } from "../version.js";
import type { ConfigSource } from "./yaml-source.js";

declare const __LOLPOP_YAML_VERSION__: string | undefined;

/** Format of an entry; bump when what is stored changes. */
const FORMAT = "lolpop-config-cache@2";

/** The version of the YAML library this core parses with (embedded at build time). */
function yamlVersion(): string {
  return typeof __LOLPOP_YAML_VERSION__ === "string" ? __LOLPOP_YAML_VERSION__ : "dev";
}

/** What a config file's cache entry is for: the format, core's and the YAML library's versions and the text. */
function materialOf(text: string): string {
  return JSON.stringify([FORMAT, CORE_VERSION, yamlVersion(), text]);
}

/** The name of the cache entry of a config file's text. */
export function configCacheFile(text: string): string {
  return entryName(materialOf(text));
}

const entryName = (material: string) => `config-${cacheKeyOf(material)}.json`;

const REFERENCE_ONLY = /^\$\{[^}]*\}$/;

/**
 * Whether `data` survives JSON unchanged and holds no literal secret: plain objects, arrays,
 * strings, booleans, null and finite numbers, each object reached once (no YAML aliases).
 */
export function isCacheableConfig(data: unknown): boolean {
  const seen = new Set<object>();
  const ok = (v: unknown): boolean => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return true;
    if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
    if (typeof v !== "object") return false;
    if (seen.has(v)) return false;
    seen.add(v);
    if (Array.isArray(v)) return v.every(ok);
    if (Object.getPrototypeOf(v) !== Object.prototype) return false;
    for (const [k, child] of Object.entries(v)) {
      if (k === "__proto__") return false;
      if (isSecretKey(k) && child !== null && typeof child !== "object") {
        if (!(typeof child === "string" && REFERENCE_ONLY.test(child))) return false;
      }
      if (!ok(child)) return false;
    }
    return true;
  };
  return ok(data);
}

/**
 * Parses a config file's text through the cache: the cached data when there is an entry for this
 * text, else `parse(text)` (stored for next time when it can be). `parse` also backs `locate` of a
 * cached entry, so positions are exact. Errors of `parse` (YAML problems) are never cached.
 */
export function parseCachedConfig(
  text: string,
  file: string,
  parse: (text: string, file: string) => ConfigSource,
  env: NodeJS.ProcessEnv = process.env,
): ConfigSource {
  const dir = schemaCacheDir(env);
  if (!dir) return parse(text, file);
  const material = materialOf(text);
  const name = entryName(material);
  const check = cacheKeyOf(material, 1);
  let entry: { check?: unknown; data?: unknown } | undefined;
  try {
    entry = JSON.parse(readFileSync(join(dir, name), "utf8")) as { check?: unknown; data?: unknown };
  } catch {
    entry = undefined;
  }
  if (entry && typeof entry === "object" && entry.check === check && "data" in entry) {
    let parsed: ConfigSource | undefined;
    const full = () => (parsed ??= parse(text, file));
    return {
      file,
      data: entry.data,
      locate: (path) => full().locate(path),
      locateKey: (path) => full().locateKey(path),
    };
  }
  const source = parse(text, file);
  if (isCacheableConfig(source.data)) writeCacheFile(dir, name, JSON.stringify({ check, data: source.data }));
  return source;
}
