/**
 * A small pool of worker threads for components that split CPU-heavy work (fitting trees, scoring
 * rows, parsing a file in chunks): tasks are handed out one at a time to whichever worker is free,
 * and responses come back in task order, so results do not depend on the number of workers or on
 * their timing.
 *
 * The worker side needs nothing from lolpop: a worker script answers each message with one
 * `postMessage` response. A response `{ type: "error", message, stack? }` fails the run with that
 * message (as does an uncaught exception or an exit of the worker).
 *
 * Starting a worker and warming up its compiled code costs about 0.05-0.3 s, so
 * {@link withWorkerPool} keeps one idle pool per script for a few seconds after use (unreferenced:
 * it never keeps the process alive) and hands it to the next caller that asks for the same size.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { workerThreads } from "../lazy-deps.js";

/** A message for a worker, with the buffers to move to it instead of copying. */
export interface WorkerTask<Req> {
  message: Req;
  transfer?: readonly ArrayBuffer[];
}

/** Options of {@link WorkerPool.run}. */
export interface WorkerPoolRunOptions<Res> {
  /** Aborting fails the run at once with `onAbort()` (default: an Error "aborted"). */
  signal?: AbortSignal;
  onAbort?: () => Error;
  /**
   * Receives each response in task order, as soon as it and every earlier one have arrived (the
   * run then resolves with an empty array instead of keeping them). Returning `false` stops
   * handing out tasks: tasks in flight finish and their responses are dropped.
   */
  onResult?: (response: Res, index: number) => boolean | undefined;
  /**
   * With `onResult`: how many tasks may be handed out past the first response not delivered yet
   * (in flight, or answered and waiting for an earlier one), so a slow task does not let the others
   * pile up responses in memory. Default 4 per worker.
   */
  window?: number;
}

/** The response by which a worker reports a failed task. */
interface WorkerErrorResponse {
  type: "error";
  message: string;
  stack?: string;
}

function isErrorResponse(r: unknown): r is WorkerErrorResponse {
  return (
    typeof r === "object" &&
    r !== null &&
    (r as { type?: unknown }).type === "error" &&
    typeof (r as { message?: unknown }).message === "string"
  );
}

/**
 * The URL of a worker script shipped next to the module at `from` (`import.meta.url`) in a built
 * package, or, when that module runs from TypeScript sources (a package's own tests), the built copy
 * in `../dist/`. Throws an Error naming the paths tried and `hint` (what to reinstall or build).
 */
export function resolveWorkerScript(fileName: string, from: string | URL, hint: string): URL {
  const candidates = [new URL(`./${fileName}`, from), new URL(`../dist/${fileName}`, from)];
  for (const url of candidates) if (existsSync(fileURLToPath(url))) return url;
  throw new Error(
    `the worker script ${fileName} was not found (looked at ${candidates
      .map((u) => fileURLToPath(u))
      .join(", ")}); ${hint}`,
  );
}

/** Worker threads running one script. Always {@link close} it (also on failure), or use {@link withWorkerPool}. */
export class WorkerPool<Req, Res> {
  readonly script: URL;
  readonly #workers: Worker[];
  #broken = false;

  /** Starts `size` workers (at least one) running `script`. */
  constructor(script: URL, size: number) {
    this.script = script;
    this.#workers = Array.from({ length: Math.max(1, size) }, () => {
      const w = new (workerThreads().Worker)(script);
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

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  /** Lets the process exit while the workers idle (`false`), or keeps it alive while they work (`true`). */
  keepAlive(on: boolean): void {
    for (const w of this.#workers) {
      if (on) w.ref();
      else w.unref();
    }
  }

  /** Sends one message to every worker (set-up); each worker handles it before later tasks. It gets no response. */
  broadcast(message: Req): void {
    for (const w of this.#workers) w.postMessage(message);
  }

  /**
   * Runs the tasks (taken from `tasks` one at a time, when a worker is free, so large payloads are
   * not all built at once) and resolves with the responses in task order. Rejects on the first error
   * response, a worker that crashes or exits, an error thrown by `tasks`, or `signal` aborting;
   * when tasks were still in flight then, the pool is no longer {@link healthy} (their late
   * responses would reach the next run) and later runs reject: close it.
   */
  run(tasks: Iterable<WorkerTask<Req>>, options: WorkerPoolRunOptions<Res> = {}): Promise<Res[]> {
    const { signal, onAbort, onResult } = options;
    const window = onResult
      ? Math.max(1, options.window ?? 4 * this.#workers.length)
      : Number.POSITIVE_INFINITY;
    const iterator = tasks[Symbol.iterator]();
    return new Promise<Res[]>((resolve, reject) => {
      const results: Res[] = [];
      const pending = new Map<number, Res>();
      const current = new Map<Worker, number>();
      let next = 0;
      let delivered = 0;
      let exhausted = false;
      let stopped = false;
      let settled = false;
      const listeners: Array<() => void> = [];
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        for (const off of listeners) off();
        // Tasks still in flight would answer into the next run: the pool is not reusable.
        if (err && current.size > 0) this.#broken = true;
        if (err) reject(err);
        else resolve(results);
      };
      const deliver = () => {
        while (pending.has(delivered)) {
          const r = pending.get(delivered)!;
          pending.delete(delivered);
          if (!stopped) {
            if (onResult) {
              if (onResult(r, delivered) === false) stopped = true;
            } else results[delivered] = r;
          }
          delivered++;
        }
      };
      const dispatch = (w: Worker) => {
        if (stopped || exhausted || next - delivered >= window) return;
        let item: IteratorResult<WorkerTask<Req>>;
        try {
          item = iterator.next();
        } catch (e) {
          finish(e as Error);
          return;
        }
        if (item.done) {
          exhausted = true;
          return;
        }
        current.set(w, next++);
        const { message, transfer } = item.value;
        try {
          w.postMessage(message, transfer as ArrayBuffer[] | undefined);
        } catch (e) {
          finish(e as Error);
        }
      };
      const idle = () => current.size === 0 && (exhausted || stopped);
      if (this.#broken) {
        finish(
          new Error(
            "this worker pool had a failed run or a crashed worker: close it and start a new one (withWorkerPool does)",
          ),
        );
        return;
      }
      if (signal?.aborted) {
        finish(onAbort?.() ?? new Error("aborted"));
        return;
      }
      for (const w of this.#workers) {
        const onMessage = (msg: Res) => {
          if (settled) return;
          if (isErrorResponse(msg)) {
            current.delete(w); // this worker is done; others may still be busy
            const err = new Error(msg.message);
            if (msg.stack) err.stack = msg.stack;
            finish(err);
            return;
          }
          const index = current.get(w)!;
          current.delete(w);
          pending.set(index, msg);
          try {
            deliver();
          } catch (e) {
            finish(e as Error);
            return;
          }
          // Delivering may have opened the window for workers held back by it.
          for (const free of this.#workers) if (!current.has(free)) dispatch(free);
          if (idle()) finish();
        };
        const onError = (err: Error) =>
          finish(new Error(`worker thread crashed: ${err.message}`, { cause: err }));
        const onExit = (code: number) => finish(new Error(`worker thread exited early (exit code ${code})`));
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
        const onAbortEvent = () => finish(onAbort?.() ?? new Error("aborted"));
        signal.addEventListener("abort", onAbortEvent, { once: true });
        listeners.push(() => signal.removeEventListener("abort", onAbortEvent));
      }
      for (const w of this.#workers) dispatch(w);
      if (idle()) finish();
    });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.#broken = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** How long an unused pool is kept for the next caller. */
const IDLE_MS = 5_000;
const idle = new Map<string, { pool: WorkerPool<unknown, unknown>; timer: ReturnType<typeof setTimeout> }>();

/**
 * Runs `fn` with a pool of `size` workers running `script`: the idle pool of that script when it
 * has that size, else a new one. Afterwards the pool is parked for reuse (or closed when `fn`
 * failed, since its workers may still be busy). A second concurrent caller gets its own pool.
 */
export async function withWorkerPool<Req, Res, T>(
  script: URL,
  size: number,
  fn: (pool: WorkerPool<Req, Res>) => Promise<T>,
): Promise<T> {
  const key = script.href;
  const parked = idle.get(key);
  let pool: WorkerPool<Req, Res>;
  if (parked && parked.pool.size === Math.max(1, size) && parked.pool.healthy) {
    idle.delete(key);
    clearTimeout(parked.timer);
    pool = parked.pool as WorkerPool<Req, Res>;
  } else pool = new WorkerPool<Req, Res>(script, size);
  pool.keepAlive(true);
  let ok = false;
  try {
    const result = await fn(pool);
    ok = true;
    return result;
  } finally {
    if (ok && pool.healthy) park(key, pool as WorkerPool<unknown, unknown>);
    else await pool.close();
  }
}

function park(key: string, pool: WorkerPool<unknown, unknown>): void {
  pool.keepAlive(false);
  const previous = idle.get(key);
  if (previous) {
    clearTimeout(previous.timer);
    if (previous.pool !== pool) void previous.pool.close();
  }
  const timer = setTimeout(() => {
    if (idle.get(key)?.pool === pool) idle.delete(key);
    void pool.close();
  }, IDLE_MS);
  timer.unref();
  idle.set(key, { pool, timer });
}
