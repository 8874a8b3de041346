/**
 * Step caching: the cache key of one step call and the contract of a cache of completed calls.
 *
 * A key is the SHA-256 of the stable JSON (sorted keys) of: {@link STEP_CACHE_FORMAT}, the step
 * name, the component identity (type and plugin `name@version`), the fingerprint of the user code
 * the step runs, the step's resolved config (values of secret-looking keys and of `secretPaths`
 * replaced by their SHA-256, never kept in clear), every input's content hash and the seed. Any of
 * them changing gives another key; since inputs are content hashes, an upstream change propagates.
 *
 * Steps with side effects ({@link UNCACHEABLE_STEPS}: register, promote, deploy, notify, predict)
 * are never cached: {@link stepCacheKey} refuses them.
 */
import type { BlobRef } from "./blob-store.js";
import { LolpopError } from "./errors.js";
import { nodeCrypto } from "./lazy-deps.js";
import { stableStringify } from "./lineage.js";
import { isSecretKey } from "./redact.js";

/** Version of the key and entry format; bumping it invalidates every cache entry. */
export const STEP_CACHE_FORMAT = 1;

/** Steps that must always run (their effect is the point): never cached. */
export const UNCACHEABLE_STEPS: ReadonlySet<string> = new Set([
  "register",
  "promote",
  "deploy",
  "notify",
  "predict",
]);

/** What a step call's cache key is made of. */
export interface StepCacheKeyParts {
  /** Step name: `process`, `split`, `encode`, `train`... */
  step: string;
  /** The component that runs it: its type and the plugin that provides it. */
  component: { type: string; plugin?: { name: string; version: string } };
  /** Fingerprint of user code the step runs (e.g. a transform module and its local imports). */
  code?: string;
  /** The step's resolved config. */
  config: unknown;
  /** Dotted config paths holding secrets (besides keys whose names look secret). */
  secretPaths?: ReadonlySet<string>;
  /** Each input by name: its content hash (a table fingerprint, a blob digest). */
  inputs: Record<string, string>;
  /** The seed the step uses, when it uses one. */
  seed?: number;
}

function sha256(text: string): string {
  return nodeCrypto().createHash("sha256").update(text).digest("hex");
}

function hashSecrets(
  value: unknown,
  secretPaths: ReadonlySet<string>,
  path: string,
  secret: boolean,
): unknown {
  if (secret || (path && secretPaths.has(path))) return { secret_sha256: sha256(stableStringify(value)) };
  if (Array.isArray(value))
    return value.map((v, i) => hashSecrets(v, secretPaths, path ? `${path}.${i}` : String(i), false));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = hashSecrets(v, secretPaths, path ? `${path}.${k}` : k, isSecretKey(k));
    return out;
  }
  return value;
}

/**
 * The cache key (64 hex characters) of a step call.
 * @throws LolpopError `step_not_cacheable` for a step in {@link UNCACHEABLE_STEPS}.
 */
export function stepCacheKey(parts: StepCacheKeyParts): string {
  if (UNCACHEABLE_STEPS.has(parts.step))
    throw new LolpopError({
      message: `step "${parts.step}" has side effects and is never cached`,
      code: "step_not_cacheable",
    });
  return sha256(
    stableStringify({
      format: STEP_CACHE_FORMAT,
      step: parts.step,
      component: {
        type: parts.component.type,
        plugin: parts.component.plugin
          ? `${parts.component.plugin.name}@${parts.component.plugin.version}`
          : null,
      },
      code: parts.code ?? null,
      config: hashSecrets(parts.config, parts.secretPaths ?? new Set(), "", false),
      inputs: parts.inputs,
      seed: parts.seed ?? null,
    }),
  );
}

/** A completed step call: its key, the run that computed it and its outputs as blobs. */
export interface StepCacheEntry {
  format: number;
  key: string;
  step: string;
  /** The run that computed the outputs ("cached from run X"). */
  run_id: string;
  created_at: string;
  /** Each output by name. */
  outputs: Record<string, BlobRef>;
}

/** Where completed step calls are recorded (the local store implements it under `.lolpop/cache/`). */
export interface StepCache {
  /**
   * The latest completed entry with `key` whose outputs all exist and verify, or undefined (a miss).
   * Entries with a missing or corrupted output are skipped.
   */
  lookup(key: string): Promise<StepCacheEntry | undefined>;
  /** Records an entry; call it only after every output is committed to the blob store. */
  record(entry: Omit<StepCacheEntry, "format" | "created_at">): Promise<StepCacheEntry>;
  /** Every recorded entry (for gc and listings). */
  entries(): Promise<StepCacheEntry[]>;
}
