/**
 * The call chain of a workflow: every method call of a component, pipeline or runner goes through
 * one chain of middlewares, outermost first: cancellation, logging with wall time (recorded in
 * lineage), error wrapping, before/after hooks, then the caller's own middlewares. Instances are
 * wrapped in a Proxy so calls from outside go through the chain; calls an instance makes on itself
 * do not.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { CancelledError, ComponentCallError } from "./errors.js";
import type { Logger } from "./logger.js";

/** What a middleware sees of a call. */
export interface CallInfo {
  /** Dotted path of the callee, e.g. `train.model_trainer` or `train` or `runner`. */
  path: string;
  /** Method name, e.g. `fit`. */
  method: string;
  /** `component`, `pipeline` or `runner`. */
  scope: "component" | "pipeline" | "runner";
  /** Kind (for components) or `pipeline` / `runner`. */
  kind: string;
  type: string;
  args: unknown[];
  signal: AbortSignal;
}

/** Wraps a call: do something, call `next()`, return its result (or another). */
export type Middleware = (call: CallInfo, next: () => Promise<unknown>) => Promise<unknown>;

/** Before/after hooks on calls matching `match` (`train.model_trainer.fit`, `train.*`, `*.fit`, or a predicate). */
export interface Hook {
  match: string | ((call: CallInfo) => boolean);
  /** Runs before the call; throwing fails the call. */
  before?: (call: CallInfo) => void | Promise<void>;
  /** Runs after a successful call with its result; throwing fails the call. */
  after?: (call: CallInfo, result: unknown) => void | Promise<void>;
}

/** What the chain calls: the call and the method itself. */
export type Invoke = (call: CallInfo, fn: () => unknown) => Promise<unknown>;

/** Glob-ish match of a hook pattern against `path.method` (`*` matches any run of characters). */
export function hookMatches(pattern: Hook["match"], call: CallInfo): boolean {
  if (typeof pattern === "function") return pattern(call);
  const full = `${call.path}.${call.method}`;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(full);
}

/** Marks calls made inside {@link uncancellable}; one store per process, shared by copies of core. */
const CLEANUP_KEY = Symbol.for("lolpop.uncancellable@1");
const cleanupScope = sharedStore();

function sharedStore(): AsyncLocalStorage<true> {
  const g = globalThis as Record<symbol, unknown>;
  if (!g[CLEANUP_KEY]) Object.defineProperty(g, CLEANUP_KEY, { value: new AsyncLocalStorage<true>() });
  return g[CLEANUP_KEY] as AsyncLocalStorage<true>;
}

/**
 * Runs `fn` so that the component calls it makes still go through after the run was cancelled
 * (ending tracker runs, writing lineage): cleanup after a cancellation, nothing else.
 */
export function uncancellable<T>(fn: () => Promise<T>): Promise<T> {
  return cleanupScope.run(true, fn);
}

/**
 * Fails a call made after `signal` aborted, and races a call in flight against the abort. Runner
 * methods are not raced: their pipeline calls fail at once, and the runner then ends its tracked
 * runs and reports what was done. Calls inside {@link uncancellable} pass.
 */
export function cancellationMiddleware(signal: AbortSignal): Middleware {
  // One listener for all the calls in flight (Node warns of a leak from 11 on one signal),
  // attached while there is one.
  const inFlight = new Set<() => void>();
  const onAbort = () => {
    for (const cancel of [...inFlight]) cancel();
  };
  return async (call, next) => {
    if (cleanupScope.getStore()) return next();
    if (signal.aborted)
      throw new CancelledError({ path: `${call.path}.${call.method}`, reason: signal.reason });
    if (call.scope === "runner") return next();
    let cancel!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      cancel = () =>
        reject(new CancelledError({ path: `${call.path}.${call.method}`, reason: signal.reason }));
    });
    aborted.catch(() => undefined);
    if (inFlight.size === 0) signal.addEventListener("abort", onAbort, { once: true });
    inFlight.add(cancel);
    try {
      return await Promise.race([next(), aborted]);
    } finally {
      inFlight.delete(cancel);
      if (inFlight.size === 0) signal.removeEventListener("abort", onAbort);
    }
  };
}

/** Where call timings go (the run's lineage). */
export interface TimingRecorder {
  timing(path: string, ms: number, ok: boolean): void;
}

/** Logs each call (debug when it starts; info for pipelines and runners when done) and records its wall time in lineage. */
export function loggingMiddleware(logger: Logger, lineage: TimingRecorder): Middleware {
  return async (call, next) => {
    const name = `${call.path}.${call.method}`;
    const start = performance.now();
    logger.debug(`${name} started`, { path: call.path, method: call.method });
    try {
      const out = await next();
      const ms = performance.now() - start;
      lineage.timing(name, ms, true);
      logger.log(call.scope === "component" ? "debug" : "info", `${name} done in ${formatMs(ms)}`, {
        path: call.path,
        method: call.method,
        ms: round(ms),
      });
      return out;
    } catch (e) {
      const ms = performance.now() - start;
      lineage.timing(name, ms, false);
      logger.debug(`${name} failed after ${formatMs(ms)}`, {
        path: call.path,
        method: call.method,
        ms: round(ms),
      });
      throw e;
    }
  };
}

/** Wraps a failure in a {@link ComponentCallError} naming the call (cancellations pass through). */
export const errorMiddleware: Middleware = async (call, next) => {
  try {
    return await next();
  } catch (e) {
    if (CancelledError.isInstance(e)) throw e;
    throw new ComponentCallError({ frame: `${call.path}.${call.method}`, cause: e });
  }
};

/** Runs the matching hooks before and after the call. */
export function hookMiddleware(hooks: readonly Hook[]): Middleware {
  return async (call, next) => {
    const matching = hooks.filter((h) => hookMatches(h.match, call));
    for (const h of matching) await h.before?.(call);
    const out = await next();
    for (const h of matching) await h.after?.(call, out);
    return out;
  };
}

/** Options of {@link createCallChain}. */
export interface CallChainOptions {
  signal: AbortSignal;
  logger: Logger;
  lineage: TimingRecorder;
  hooks?: readonly Hook[];
  /** Extra middlewares, outermost first; they run inside the built-in ones. */
  middlewares?: readonly Middleware[];
}

/** The chain of a workflow: the built-in middlewares, outermost first, then `options.middlewares`. */
export function createCallChain(options: CallChainOptions): Invoke {
  const chain: Middleware[] = [
    cancellationMiddleware(options.signal),
    loggingMiddleware(options.logger, options.lineage),
    errorMiddleware,
    hookMiddleware(options.hooks ?? []),
    ...(options.middlewares ?? []),
  ];
  return (call, fn) => {
    const dispatch = (i: number): Promise<unknown> => {
      const mw = chain[i];
      if (!mw) return Promise.resolve().then(fn);
      return mw(call, () => dispatch(i + 1));
    };
    return dispatch(0);
  };
}

/** Never wrapped: promise-likes, conversions and the constructor. */
const SKIP = new Set(["constructor", "then", "catch", "finally", "toJSON", "toString", "valueOf"]);

/**
 * Wraps an instance so every method called from outside goes through `invoke`. Properties starting
 * with `_`, the names in {@link SKIP} and non-functions are returned as they are.
 * @throws ComponentCallError when `instance` is not an object (`create()` returned something else).
 */
export function wrapInstance<T extends object>(
  instance: T,
  info: Omit<CallInfo, "method" | "args" | "signal">,
  invoke: Invoke,
  signal: AbortSignal,
): T {
  if (typeof instance !== "object" || instance === null) {
    throw new ComponentCallError({
      frame: `${info.path}.create`,
      cause: new Error(
        `${info.type}.create() must return an object, got ${instance === null ? "null" : typeof instance}`,
      ),
    });
  }
  const cache = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(instance, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function" || typeof prop !== "string" || prop.startsWith("_") || SKIP.has(prop))
        return value;
      let wrapped = cache.get(prop);
      if (!wrapped) {
        wrapped = (...args: unknown[]) =>
          invoke({ ...info, method: prop, args, signal }, () =>
            (value as (...a: unknown[]) => unknown).apply(target, args),
          );
        cache.set(prop, wrapped);
      }
      return wrapped;
    },
  });
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
