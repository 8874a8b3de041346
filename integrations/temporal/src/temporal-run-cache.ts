/**
 * A small per-worker cache of what the activities of one run share: the workflow built from the
 * config and the decoded input of a tuning search. The trials of a search are many short
 * activities; without it each one would rebuild the workflow (load and validate the config, find
 * and load the plugins) and decode the data again, which costs as much as a light trial.
 *
 * Bounded (at most `max` entries; the least recently used goes first), entries unused for `idleMs`
 * are dropped, and {@link RunCache.dropRun} forgets a run's entries when it ends. A value whose
 * making failed is not kept.
 */

/** Options of a {@link RunCache}. */
export interface RunCacheOptions {
  /** Entries kept at most (default 4). */
  max?: number;
  /** An entry unused this long is dropped (default 120 000 ms). */
  idleMs?: number;
}

interface Entry<V> {
  runId: string;
  value: Promise<V>;
  timer: ReturnType<typeof setTimeout>;
}

/** Values keyed by string, each belonging to a run. */
export class RunCache<V> {
  readonly #max: number;
  readonly #idleMs: number;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(options: RunCacheOptions = {}) {
    this.#max = Math.max(1, options.max ?? 4);
    this.#idleMs = options.idleMs ?? 120_000;
  }

  /** The value under `key`, made with `make` (once, even for concurrent callers) when missing. */
  get(runId: string, key: string, make: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit) {
      // Most recently used last.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      hit.timer.refresh();
      return hit.value;
    }
    const value = make();
    const timer = setTimeout(() => this.#drop(key, value), this.#idleMs);
    timer.unref?.();
    this.#entries.set(key, { runId, value, timer });
    value.catch(() => this.#drop(key, value));
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#drop(oldest);
    }
    return value;
  }

  /** Forgets every entry of `runId`. */
  dropRun(runId: string): void {
    for (const [k, e] of [...this.#entries]) if (e.runId === runId) this.#drop(k);
  }

  /** Number of entries (for tests). */
  get size(): number {
    return this.#entries.size;
  }

  #drop(key: string, only?: Promise<V>): void {
    const e = this.#entries.get(key);
    if (!e || (only && e.value !== only)) return;
    clearTimeout(e.timer);
    this.#entries.delete(key);
  }
}
