/**
 * Native scoring split across worker threads (core's {@link withWorkerPool}): rows go in blocks to
 * `catboost-scoring-worker.js`, each worker scores its block with the same compiled model, and the
 * blocks' raw scores are put back in row order, so results are identical to one thread's.
 */
import { availableParallelism } from "node:os";
import { resolveWorkerScript, type WorkerTask, withWorkerPool } from "@lolpop/core";
import type { NativeScorer } from "./catboost-json-scorer.js";
import type { ScoringRequest, ScoringResponse } from "./catboost-scoring-worker.js";

/** Below this many row-trees one thread scores (a worker's start-up would cost more than it saves). */
export const PARALLEL_SCORING_MIN_ROW_TREES = 4_000_000;

/** Threads for `n` rows: `threadCount` (CatBoost's `thread_count`; -1 = every core), at most one per 10,000 rows. */
export function scoringThreads(scorer: NativeScorer, n: number, threadCount: number): number {
  const cores = threadCount > 0 ? threadCount : availableParallelism();
  if (n * scorer.treeCount < PARALLEL_SCORING_MIN_ROW_TREES) return 1;
  return Math.max(1, Math.min(cores, Math.floor(n / 10_000)));
}

let nextId = 1;
const ids = new WeakMap<NativeScorer, number>();

/** Raw scores of `n` rows on `threads` worker threads (row-major `n × dimension`, as `scorer.raw`). */
export async function rawOnWorkers(
  scorer: NativeScorer,
  columns: readonly ArrayLike<number>[],
  n: number,
  threads: number,
): Promise<Float64Array> {
  let id = ids.get(scorer);
  if (id === undefined) {
    id = nextId++;
    ids.set(scorer, id);
  }
  const parts = scorer.parts();
  const used = columns.slice(0, scorer.featureCount);
  const chunk = Math.max(5_000, Math.ceil(n / (threads * 2)));
  const count = Math.ceil(n / chunk);
  const script = resolveWorkerScript(
    "catboost-scoring-worker.js",
    import.meta.url,
    "reinstall @lolpop/catboost-bridge, or run `pnpm build` in integrations/catboost-bridge when working from its sources",
  );
  const modelId = id;
  return withWorkerPool<ScoringRequest, ScoringResponse, Float64Array>(script, threads, async (pool) => {
    function* tasks(): Iterable<WorkerTask<ScoringRequest>> {
      for (let i = 0; i < count; i++) {
        const start = i * chunk;
        const end = Math.min(n, start + chunk);
        const part = used.map((c) =>
          c instanceof Float64Array
            ? c.slice(start, end)
            : Float64Array.from(Array.prototype.slice.call(c, start, end)),
        );
        yield {
          message: { type: "raw", id: modelId, parts, columns: part, n: end - start, offset: start },
          transfer: part.map((c) => c.buffer as ArrayBuffer),
        };
      }
    }
    const out = new Float64Array(n * scorer.dimension);
    for (const r of await pool.run(tasks()))
      if (r.type === "raw") out.set(r.out, r.offset * scorer.dimension);
    return out;
  });
}
