/**
 * Running a step call through the step cache: look the key up, restore the outputs of a hit from
 * their blobs, or run the step, commit its outputs as blobs and record the entry (entry last, so a
 * crash mid-write leaves nothing that verifies). The pipelines call {@link runCachedStep} for the
 * steps they cache (process, split, encode, train); the store comes from the model repository's
 * optional `step_cache()` (the local store's default), see {@link stepCacheStoreOf}.
 */
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import type { BlobRef, BlobStore } from "./blob-store.js";
import { fsPromises } from "./lazy-deps.js";
import type { Logger } from "./logger.js";
import { type StepCache, type StepCacheKeyParts, stepCacheKey } from "./step-cache.js";

/** Where a run's cached step outputs live: a blob store and its step cache. */
export interface StepCacheStore {
  readonly blobs: BlobStore;
  readonly cache: StepCache;
}

/** Tag on the workflow run, per cached step: `lolpop.cache.<step>` = the run the outputs came from. */
export const STEP_CACHE_TAG_PREFIX = "lolpop.cache.";

/**
 * The store's step cache: the `step_cache()` of `component` (a model repository) when it has one,
 * else undefined (no caching).
 */
export async function stepCacheStoreOf(component: unknown): Promise<StepCacheStore | undefined> {
  const fn = (component as { step_cache?: unknown } | undefined)?.step_cache;
  if (typeof fn !== "function") return undefined;
  const store = (await fn.call(component)) as StepCacheStore | undefined;
  return store?.blobs && store.cache ? store : undefined;
}

/** How one step call uses the cache. */
export interface StepCacheUse {
  /** The store; undefined: no caching at all. */
  store: StepCacheStore | undefined;
  /**
   * False to bypass the cache (`lolpop run --no-cache`, `cache: false`): no lookup, the step runs;
   * its fresh outputs are still recorded, so a later run can use them.
   */
  lookup: boolean;
  /** The workflow run computing the step (recorded in the entry: "cached from run X"). */
  runId?: string;
  logger?: Logger;
}

/** What a hit gives back to restore a step's value. */
export interface CachedOutputs {
  /** The names of the entry's outputs. */
  names(): string[];
  /** The bytes of output `name` (verified). */
  bytes(name: string): Promise<Uint8Array>;
  /** A temp folder holding the outputs named `<prefix>/...` as files (removed after `restore`). */
  dir(prefix: string): Promise<string>;
}

/** One cacheable step call. */
export interface CachedStep<T> {
  /** What the key is made of (see {@link stepCacheKey}). */
  parts: StepCacheKeyParts;
  /** Runs the step. */
  run(): Promise<T>;
  /**
   * The outputs of `value`: the returned bytes by name (an array: the bytes in pieces, stored as
   * their concatenation without joining them, e.g. core's `tableChunks`), plus every file written
   * under `dir` (named by its path relative to `dir`, POSIX separators).
   */
  save(value: T, dir: string): Promise<Record<string, Uint8Array | readonly Uint8Array[]>>;
  /** The value again, from the outputs of an entry. */
  restore(outputs: CachedOutputs): Promise<T>;
}

/** The value of a step call and where it came from. */
export interface CachedStepResult<T> {
  value: T;
  /** The cache key (absent without a store). */
  key?: string;
  /** The outputs as blobs (absent without a store, or when they could not be stored). */
  outputs?: Record<string, BlobRef>;
  /** The run the outputs were computed by, on a hit. */
  cached_from?: string;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsPromises().readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Stores one output: bytes, or bytes in pieces (joined only for a store without `putChunks`). */
function putBytes(blobs: BlobStore, bytes: Uint8Array | readonly Uint8Array[]): Promise<BlobRef> {
  if (bytes instanceof Uint8Array) return blobs.put(bytes);
  if (blobs.putChunks) return blobs.putChunks(bytes);
  return blobs.put(Buffer.concat(bytes));
}

/**
 * Runs `step` through the cache. A hit (the newest entry of the key whose blobs all verify) restores
 * the outputs; a hit whose outputs cannot be restored after all (a blob removed meanwhile) is logged
 * and the step runs. A miss runs the step, then stores the outputs as blobs and records the entry.
 * Storing is best effort: a failure is a warning, never a failed step.
 */
export async function runCachedStep<T>(use: StepCacheUse, step: CachedStep<T>): Promise<CachedStepResult<T>> {
  const store = use.store;
  if (!store) return { value: await step.run() };
  const key = stepCacheKey(step.parts);
  const name = step.parts.step;
  if (use.lookup) {
    const entry = await store.cache.lookup(key);
    if (entry) {
      const temps: string[] = [];
      try {
        const value = await step.restore({
          names: () => Object.keys(entry.outputs),
          bytes: async (n) => {
            const ref = entry.outputs[n];
            if (!ref) throw new Error(`the cache entry of ${name} has no output "${n}"`);
            return store.blobs.get(ref.digest);
          },
          dir: async (prefix) => {
            const d = await fsPromises().mkdtemp(join(tmpdir(), "lolpop-cache-"));
            temps.push(d);
            for (const [n, ref] of Object.entries(entry.outputs)) {
              if (!n.startsWith(`${prefix}/`)) continue;
              const rel = n.slice(prefix.length + 1);
              if (rel.split("/").some((p) => p === ".." || p === "." || p === ""))
                throw new Error(`the cache entry of ${name} has an output named "${n}"`);
              const target = join(d, ...rel.split("/"));
              await fsPromises().mkdir(dirname(target), { recursive: true });
              await store.blobs.restoreTo(ref.digest, target);
            }
            return d;
          },
        });
        use.logger?.info(`${name}: cached from run ${entry.run_id} (key ${key.slice(0, 12)})`);
        return { value, key, outputs: entry.outputs, cached_from: entry.run_id };
      } catch (e) {
        use.logger?.warn(
          `${name}: the cached outputs of run ${entry.run_id} could not be restored (${(e as Error).message}); running the step`,
        );
      } finally {
        for (const d of temps) await fsPromises().rm(d, { recursive: true, force: true });
      }
    }
  }
  const value = await step.run();
  const dir = await fsPromises().mkdtemp(join(tmpdir(), "lolpop-cache-"));
  try {
    const outputs: Record<string, BlobRef> = {};
    for (const [n, bytes] of Object.entries(await step.save(value, dir)))
      outputs[n] = await putBytes(store.blobs, bytes);
    for (const f of await filesUnder(dir))
      outputs[relative(dir, f).split(sep).join("/")] = await store.blobs.putFile(f);
    // Outputs first, the entry last: an entry only ever names committed blobs.
    await store.cache.record({ key, step: name, run_id: use.runId ?? "untracked", outputs });
    return { value, key, outputs };
  } catch (e) {
    use.logger?.warn(`${name}: its outputs could not be cached (${(e as Error).message})`);
    return { value, key };
  } finally {
    await fsPromises().rm(dir, { recursive: true, force: true });
  }
}
