/**
 * Native scoring split across threads (core's {@link withWorkerPool}): with `threads` threads, the
 * calling thread scores the first `n / threads` rows itself, straight from the columns (no copy),
 * while `threads - 1` workers running `catboost-scoring-worker.js` score the other rows, one block
 * each (each block's columns copied once and moved to the worker). Every thread runs the same compiled
 * model and the raw scores are put back in row order, so results are identical to one thread's.
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

/** Raw scores of `n` rows on `threads` threads: this one and `threads - 1` workers (row-major `n × dimension`, as `scorer.raw`). */
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
  const own = Math.ceil(n / threads);
  const rest = n - own;
  const workers = Math.max(1, threads - 1);
  // One block per worker: each gets its block at once (later blocks would wait for this thread's
  // share, since they are handed out from this thread's event loop).
  const chunk = Math.max(1, Math.ceil(rest / workers));
  const count = Math.ceil(rest / chunk);
  const script = resolveWorkerScript(
    "catboost-scoring-worker.js",
    import.meta.url,
    "reinstall @lolpop/catboost-bridge, or run `pnpm build` in integrations/catboost-bridge when working from its sources",
  );
  const modelId = id;
  return withWorkerPool<ScoringRequest, ScoringResponse, Float64Array>(script, workers, async (pool) => {
    function* tasks(): Iterable<WorkerTask<ScoringRequest>> {
      for (let i = 0; i < count; i++) {
        const start = own + i * chunk;
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
    // The workers get their first blocks now; this thread scores its share meanwhile.
    const pending = pool.run(tasks());
    pending.catch(() => undefined); // awaited below; a failure here must not leave it unhandled
    const out = new Float64Array(n * scorer.dimension);
    out.set(scorer.raw(used, own), 0);
    for (const r of await pending) if (r.type === "raw") out.set(r.out, r.offset * scorer.dimension);
    return out;
  });
}
