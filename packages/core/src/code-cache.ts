/**
 * The files of lolpop's start-up caches: where they live, how entries are named and written, and V8
 * code caches. Node 20 has no compile cache of its own, and compiling code is a large part of a
 * short command: `lolpop validate` spends more time parsing and compiling JavaScript (core, the CLI,
 * the schema validators) than validating. A V8 code cache, written after a first run, lets a later
 * process deserialize the compiled functions instead.
 *
 * Used by the schema-validator and parsed-config caches, and, as `@lolpop/core/code-cache`, by the
 * CLI's `validate` start, which loads core's and its own CommonJS builds through
 * {@link loadCommonJs} before anything else of core: so this module imports no other module of core
 * and loads Node's built-ins with `require` (an ESM import of `node:fs` also loads streams).
 *
 * Location: `LOLPOP_SCHEMA_CACHE_DIR` when set, else `$XDG_CACHE_HOME/lolpop/schema-validators`
 * (default `~/.cache/lolpop/schema-validators`). `LOLPOP_SCHEMA_CACHE=0` turns every cache off.
 * Entries are written atomically (temporary file, then rename), and a missing, unreadable or
 * corrupt entry is a miss, so the folder can be deleted at any time.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const fs = require("node:fs") as typeof import("node:fs");
const path = require("node:path") as typeof import("node:path");
// Each `require` call goes through the module loader (~0.1 ms): these are taken once, on first use.
let os: typeof import("node:os") | undefined;
let vm: typeof import("node:vm") | undefined;

/** Where lolpop's caches live, or undefined when they are off. */
export function schemaCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LOLPOP_SCHEMA_CACHE === "0") return undefined;
  if (env.LOLPOP_SCHEMA_CACHE_DIR) return env.LOLPOP_SCHEMA_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, "lolpop", "schema-validators");
  os ??= require("node:os") as typeof import("node:os");
  return path.join(os.homedir(), ".cache", "lolpop", "schema-validators");
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

/**
 * Writes one cache entry atomically (temporary file, then rename), creating the folder; a cache
 * that cannot be written is skipped silently.
 */
export function writeCacheFile(dir: string, name: string, data: string | Uint8Array): void {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** Length of a code cache file's head: the id (16 ASCII hex digits) of the source it is for. */
const CODE_CACHE_HEAD = 16;

/**
 * The V8 code cache stored in `file` for the source `id`, or undefined (none, another source's,
 * damaged). A file is the id, then the cache data twice. V8 checks a code cache only against the
 * source's length and flags, not its own bytes (one flipped byte in the middle crashes the
 * process), and Node 20 has no fast checksum that does not load `node:crypto` (~15 ms): comparing
 * the two copies is native and catches any damage of one of them.
 */
function readCodeCache(file: string, id: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const n = (data.length - CODE_CACHE_HEAD) / 2;
  if (!Number.isInteger(n) || n <= 0 || data.toString("latin1", 0, CODE_CACHE_HEAD) !== id) return undefined;
  const first = data.subarray(CODE_CACHE_HEAD, CODE_CACHE_HEAD + n);
  return first.equals(data.subarray(CODE_CACHE_HEAD + n)) ? first : undefined;
}

/** A script compiled by {@link compileCached}. */
export interface CachedScript {
  script: import("node:vm").Script;
  /** Whether V8 used a stored code cache (else the source was compiled). */
  fromCache: boolean;
  /**
   * Stores the script's code cache when it had none (or V8 rejected it): call it after the code
   * ran, so the cache also holds the functions that ran. A no-op when the caches are off.
   */
  storeCache(): void;
}

/**
 * Compiles `source` as a script, from the V8 code cache stored in `dir` under `name` when one was
 * written for the same `id`. `id` names this exact source (a hash of its text, or of a build stamp,
 * size and modification time): V8 would accept a cache of another source of the same length.
 */
export function compileCached(
  source: string,
  options: { filename: string; dir: string | undefined; name: string; id: string },
): CachedScript {
  const { dir, name, id } = options;
  const file = dir ? path.join(dir, name) : undefined;
  const cached = file ? readCodeCache(file, id) : undefined;
  vm ??= require("node:vm") as typeof import("node:vm");
  const script = new vm.Script(source, {
    filename: options.filename,
    ...(cached ? { cachedData: cached } : {}),
  });
  const fromCache = cached !== undefined && !script.cachedDataRejected;
  return {
    script,
    fromCache,
    storeCache: () => {
      if (fromCache || !dir) return;
      const data = script.createCachedData();
      writeCacheFile(dir, name, Buffer.concat([Buffer.from(id, "latin1"), data, data]));
    },
  };
}

/** First line of a CommonJS file built by lolpop: the hash of the rest, written by {@link stampBuild}. */
const BUILD_STAMP = /^\/\/ lolpop-build ([0-9a-f]{16})\n/;

/**
 * Prepends the build stamp (a hash of the text) to a CommonJS file built by lolpop, which
 * {@link loadCommonJs} uses to name its code cache. Run by the build, after the file is written.
 */
export function stampBuild(file: string): void {
  const text = fs.readFileSync(file, "utf8").replace(BUILD_STAMP, "");
  fs.writeFileSync(file, `// lolpop-build ${cacheKeyOf(text)}\n${text}`);
}

/** A CommonJS module run by {@link runCommonJs} or {@link loadCommonJs}. */
export interface LoadedCommonJs {
  exports: unknown;
  /** Whether its compiled code came from the code cache. */
  fromCache: boolean;
  /** Stores its code cache when it had none: see {@link CachedScript.storeCache}. */
  storeCache(): void;
}

/** The function CommonJS source is wrapped in, like Node's module wrapper. */
const COMMONJS_WRAPPER = "(function (exports, require, module, __filename, __dirname) {";

/**
 * Runs CommonJS `source` (the text of the module `filename`) with `require` as its `require`,
 * compiled through {@link compileCached} (`dir`, `name`, `id` as there; the cache's id also covers
 * the wrapper this function puts around the source), and returns its `module.exports`.
 * @throws what the module's code throws.
 */
export function runCommonJs(
  source: string,
  options: {
    filename: string;
    dir: string | undefined;
    name: string;
    id: string;
    require: (id: string) => unknown;
  },
): LoadedCommonJs {
  const { filename } = options;
  const compiled = compileCached(`${COMMONJS_WRAPPER}${source}\n})`, {
    filename,
    dir: options.dir,
    name: options.name,
    id: options.dir ? cacheKeyOf(`${COMMONJS_WRAPPER} ${options.id}`) : "",
  });
  const module = { exports: {} as unknown };
  const fn = compiled.script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, options.require, module, filename, path.dirname(filename));
  return { exports: module.exports, fromCache: compiled.fromCache, storeCache: compiled.storeCache };
}

/**
 * Loads a CommonJS file through a V8 code cache in lolpop's cache folder (see the top of this file):
 * like `require`, but compiled from the cache when the file is unchanged since the cache was
 * written. The cache is named by the file's path and keyed by its build stamp, size and
 * modification time; a file without a stamp is compiled every time. The module's `require` is one
 * from the file's folder, except for the ids in `modules`, which get the exports given there.
 * @throws when the file cannot be read or its code throws, like `require`.
 */
export function loadCommonJs(
  file: string,
  options: { modules?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): LoadedCommonJs {
  const source = fs.readFileSync(file, "utf8");
  const stamp = BUILD_STAMP.exec(source.slice(0, 40))?.[1];
  const stat = stamp ? fs.statSync(file) : undefined;
  const own = createRequire(file);
  // Answered once per id: each `require` call goes through Node's module loader (~0.1 ms, and a
  // bundle requires `node:path` once per source module).
  const required = new Map<string, unknown>(Object.entries(options.modules ?? {}));
  const req = (id: string) => {
    if (required.has(id)) return required.get(id);
    const m = own(id);
    required.set(id, m);
    return m;
  };
  return runCommonJs(source, {
    filename: file,
    dir: stamp ? schemaCacheDir(options.env) : undefined,
    name: `code-${cacheKeyOf(file)}.v8`,
    id: stamp ? `${stamp} ${stat!.size} ${stat!.mtimeMs}` : "",
    require: Object.assign(req, own),
  });
}
