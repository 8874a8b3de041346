/**
 * The histogram engine's worker threads: core's {@link withWorkerPool} running
 * `random-forest-histogram-worker.js` (an idle pool is kept a few seconds for the next fit or
 * prediction of the same size, e.g. a tuner's next trial).
 */
import { resolveWorkerScript, type WorkerPool, type WorkerTask, withWorkerPool } from "@lolpop/core";
import type { WorkerRequest, WorkerResponse } from "./random-forest-histogram-worker.js";

const WORKER_FILE = "random-forest-histogram-worker.js";

/** A pool of histogram workers. */
export type HistogramPool = WorkerPool<WorkerRequest, WorkerResponse>;

/**
 * The worker script: next to this module in the published package (`dist/`). When this module runs
 * from the TypeScript sources (the package's own tests), the built copy in `dist/` is used.
 */
export function workerScript(): URL {
  return resolveWorkerScript(
    WORKER_FILE,
    import.meta.url,
    "reinstall @lolpop/random-forest, or run `pnpm build` in integrations/random-forest when working from its sources",
  );
}

/** Runs `fn` with a pool of `size` histogram workers (see core's `withWorkerPool`). */
export function withPool<T>(size: number, fn: (pool: HistogramPool) => Promise<T>): Promise<T> {
  return withWorkerPool(workerScript(), size, fn);
}

/** `count` tasks, each made by `make(index)` only when a worker is free. */
export function* tasks(
  count: number,
  make: (index: number) => WorkerRequest | WorkerTask<WorkerRequest>,
): Iterable<WorkerTask<WorkerRequest>> {
  for (let i = 0; i < count; i++) {
    const t = make(i);
    yield "message" in t ? t : { message: t };
  }
}
