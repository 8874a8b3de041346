/**
 * A small pool of worker threads for the histogram engine: tasks are handed out one at a time to
 * whichever worker is free, and results are returned in task order, so the output does not depend
 * on the number of workers or on their timing.
 *
 * Starting a worker and warming up its compiled code costs about 0.1-0.3 s, so {@link withPool}
 * keeps one idle pool for a few seconds after use (unreferenced: it never keeps the process alive)
 * and hands it to the next fit or prediction of the same size, e.g. a tuner's next trial.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { WorkerRequest, WorkerResponse } from "./random-forest-histogram-worker.js";

const WORKER_FILE = "random-forest-histogram-worker.js";

/**
 * The worker script: next to this module in the published package (`dist/`). When this module runs
 * from the TypeScript sources (the package's own tests), the built copy in `dist/` is used.
 */
export function workerScript(): URL {
  const candidates = [
    new URL(`./${WORKER_FILE}`, import.meta.url),
    new URL(`../dist/${WORKER_FILE}`, import.meta.url),
  ];
  for (const url of candidates) if (existsSync(fileURLToPath(url))) return url;
  throw new Error(
    `the histogram engine's worker script ${WORKER_FILE} was not found (looked at ${candidates
      .map((u) => fileURLToPath(u))
      .join(
        ", ",
      )}); reinstall @lolpop/random-forest, or run \`pnpm build\` in integrations/random-forest when working from its sources`,
  );
}

/** Worker threads that run {@link WorkerRequest}s. Always {@link close} it (also on failure). */
export class WorkerPool {
  readonly #workers: Worker[];
  #broken = false;

  /** Starts `size` workers. */
  constructor(size: number) {
    const url = workerScript();
    this.#workers = Array.from({ length: Math.max(1, size) }, () => {
      const w = new Worker(url);
      w.on("error", () => {
        this.#broken = true;
      });
      w.on("exit", () => {
        this.#broken = true;
      });
      return w;
    });
  }

  /** False once a worker crashed or exited. */
  get healthy(): boolean {
    return !this.#broken;
  }

  /** Lets the process exit while the workers idle (`false`), or keeps it alive while they work (`true`). */
  keepAlive(on: boolean): void {
    for (const w of this.#workers) {
      if (on) w.ref();
      else w.unref();
    }
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  /** Sends one message to every worker (setup such as `init-trees`); it is processed before later tasks. */
  broadcast(msg: WorkerRequest): void {
    for (const w of this.#workers) w.postMessage(msg);
  }

  /**
   * Runs `count` tasks, each made by `make(index)` when a worker is free (so large task payloads
   * are not all built at once), and resolves with the responses in task order. Rejects on the first
   * worker error, a worker that exits, or `signal` aborting (with `onAbort()`).
   */
  run(
    count: number,
    make: (index: number) => WorkerRequest | { message: WorkerRequest; transfer: ArrayBuffer[] },
    options: { signal?: AbortSignal; onAbort?: () => Error } = {},
  ): Promise<WorkerResponse[]> {
    const { signal, onAbort } = options;
    return new Promise((resolve, reject) => {
      const results = new Array<WorkerResponse>(count);
      const current = new Map<Worker, number>();
      let next = 0;
      let done = 0;
      let settled = false;
      const listeners: Array<() => void> = [];
      const cleanup = () => {
        for (const off of listeners) off();
      };
      const failWith = (err: Error) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(err);
      };
      const dispatch = (w: Worker) => {
        if (next >= count) return;
        const index = next++;
        current.set(w, index);
        try {
          const task = make(index);
          if ("message" in task) w.postMessage(task.message, task.transfer);
          else w.postMessage(task);
        } catch (e) {
          failWith(e as Error);
        }
      };
      if (count === 0) {
        resolve([]);
        return;
      }
      if (signal?.aborted) {
        failWith(onAbort?.() ?? new Error("aborted"));
        return;
      }
      for (const w of this.#workers) {
        const onMessage = (msg: WorkerResponse) => {
          if (settled) return;
          if (msg.type === "error") {
            const err = new Error(`histogram worker failed: ${msg.message}`);
            if (msg.stack) err.stack = msg.stack;
            failWith(err);
            return;
          }
          const index = current.get(w)!;
          results[index] = msg;
          done++;
          if (done === count) {
            settled = true;
            cleanup();
            resolve(results);
          } else dispatch(w);
        };
        const onError = (err: Error) =>
          failWith(new Error(`histogram worker crashed: ${err.message}`, { cause: err }));
        const onExit = (code: number) =>
          failWith(new Error(`histogram worker exited early (exit code ${code})`));
        w.on("message", onMessage);
        w.on("error", onError);
        w.on("exit", onExit);
        listeners.push(() => {
          w.off("message", onMessage);
          w.off("error", onError);
          w.off("exit", onExit);
        });
      }
      if (signal) {
        const onAbortEvent = () => failWith(onAbort?.() ?? new Error("aborted"));
        signal.addEventListener("abort", onAbortEvent, { once: true });
        listeners.push(() => signal.removeEventListener("abort", onAbortEvent));
      }
      for (const w of this.#workers) dispatch(w);
    });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.#broken = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** How long an unused pool is kept for the next fit or prediction. */
const IDLE_MS = 5_000;
let idlePool: WorkerPool | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Runs `fn` with a pool of `size` workers: the idle pool when it has that size, else a new one.
 * Afterwards the pool is parked for reuse (or closed when `fn` failed, since its workers may still
 * be busy). A second concurrent caller gets its own pool.
 */
export async function withPool<T>(size: number, fn: (pool: WorkerPool) => Promise<T>): Promise<T> {
  let pool: WorkerPool;
  if (idlePool && idlePool.size === size && idlePool.healthy) {
    pool = idlePool;
    idlePool = undefined;
    clearTimeout(idleTimer);
  } else pool = new WorkerPool(size);
  pool.keepAlive(true);
  let ok = false;
  try {
    const result = await fn(pool);
    ok = true;
    return result;
  } finally {
    if (ok && pool.healthy) park(pool);
    else await pool.close();
  }
}

function park(pool: WorkerPool): void {
  pool.keepAlive(false);
  const previous = idlePool;
  idlePool = pool;
  if (previous && previous !== pool) void previous.close();
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (idlePool === pool) idlePool = undefined;
    void pool.close();
  }, IDLE_MS);
  idleTimer.unref();
}
