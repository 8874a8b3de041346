/**
 * How the offline pipelines use the step cache (core's `runCachedStep`): the store comes from the
 * model repository in scope (`step_cache()`), lookups are skipped with `lolpop run --no-cache`
 * (`StageOptions.cache: false`) or a pipeline's `cache: false`, and every hit is recorded on the
 * workflow run (tag `lolpop.cache.<step>` = the run the outputs came from) and in lineage
 * (`extra.step_cache.<step>`), which the runner's summary reads.
 */
import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import {
  type BaseContext,
  type CachedStepResult,
  STEP_CACHE_TAG_PREFIX,
  type StepCacheKeyParts,
  type StepCacheUse,
  sha256File,
  stepCacheStoreOf,
} from "@lolpop/core";
import type { StageOptions } from "./types.js";

/** Lineage key of the cache record: `{<step>: {key, cached_from?}}`. */
export const STEP_CACHE_LINEAGE_KEY = "step_cache";

type Ctx = Pick<BaseContext, "logger" | "lineage" | "optionalComponent" | "project">;

const told = new WeakSet<object>();

/**
 * The cache use of a stage: the model repository's store (none: no caching, said once per run in
 * debug output), lookups unless `options.cache` is false or the pipeline's `cache` is false.
 */
export async function stepCacheUse(
  ctx: Ctx,
  options: StageOptions,
  pipelineCache: boolean | undefined,
): Promise<StepCacheUse> {
  const repo = ctx.optionalComponent("model_repository");
  const store = await stepCacheStoreOf(repo);
  if (!store && !told.has(ctx.lineage)) {
    told.add(ctx.lineage);
    ctx.logger.debug(
      repo
        ? "the model repository has no step cache (step_cache()): every step runs"
        : "no model repository in scope: every step runs",
    );
  }
  return {
    store,
    lookup: options.cache !== false && pipelineCache !== false,
    ...(options.run_id ? { runId: options.run_id } : {}),
    logger: ctx.logger,
  };
}

/**
 * A component's identity for the key: its type and the plugin (`name@version`) that provided it, as
 * the engine recorded it when building the component (a bare name may be ambiguous in the registry
 * when two plugins provide it and the config named the type qualified).
 */
export function componentIdentity(
  info: { type: string; plugin?: { name: string; version: string } } | undefined,
): StepCacheKeyParts["component"] {
  if (!info) return { type: "" };
  return info.plugin ? { type: info.type, plugin: { ...info.plugin } } : { type: info.type };
}

/** SHA-256 of a local file's bytes, or undefined when `path` is not a regular local file. */
export async function localFileSha256(path: string, root: string): Promise<string | undefined> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return undefined;
  const abs = isAbsolute(path) ? path : resolve(root, path);
  try {
    if (!(await stat(abs)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return sha256File(abs);
}

/**
 * Records a cached step call: in lineage always (its key, and the source run on a hit), and on a
 * hit the `lolpop.cache.<step>` tag on the workflow run.
 */
export async function noteStepCache(
  ctx: Ctx,
  step: string,
  result: CachedStepResult<unknown>,
  options: StageOptions,
): Promise<void> {
  if (!result.key) return;
  const prev = (ctx.lineage.snapshot().extra[STEP_CACHE_LINEAGE_KEY] ?? {}) as Record<string, unknown>;
  ctx.lineage.record(STEP_CACHE_LINEAGE_KEY, {
    ...prev,
    [step]: { key: result.key, ...(result.cached_from ? { cached_from: result.cached_from } : {}) },
  });
  const tracker = ctx.optionalComponent("metadata_tracker");
  if (result.cached_from && tracker && options.run_id)
    await tracker.log_tags(options.run_id, { [`${STEP_CACHE_TAG_PREFIX}${step}`]: result.cached_from });
}

/** The cached steps of the run so far: step -> the run its outputs came from. */
export function cachedSteps(ctx: Pick<BaseContext, "lineage">): Record<string, string> {
  const rec = (ctx.lineage.snapshot().extra[STEP_CACHE_LINEAGE_KEY] ?? {}) as Record<
    string,
    { cached_from?: string }
  >;
  const out: Record<string, string> = {};
  for (const [step, r] of Object.entries(rec)) if (r.cached_from) out[step] = r.cached_from;
  return out;
}
