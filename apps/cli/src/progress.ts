/**
 * A one-line progress display on a terminal for long workflow steps: which pipeline and component
 * call is running and for how long. It is a workflow middleware plus a wrapper for the log stream
 * that clears the line before a log record and redraws it after, so logs and progress never mix.
 */
import type { CallInfo, Middleware } from "@lolpop/core";

/** The terminal stream the progress line is drawn on. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  stream: ProgressStream;
  /** Show the line only once the outermost running call has taken this long (ms). Default 800. */
  delayMs?: number;
  /** Redraw interval (ms). Default 100. */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** The steps taken from the step cache so far (shown as `cached: process, split`). */
  cached?: () => readonly string[];
}

/** A progress display: add `middleware` to the workflow and log through `logStream`. */
export interface Progress {
  middleware: Middleware;
  /** The stream to give the logger: clears the progress line around each record. */
  logStream: ProgressStream;
  /** Draws the current line now (the timer calls this). */
  render(): void;
  /** Clears the line and stops the timer. */
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const CLEAR = "\r\x1b[2K";

/**
 * Whether to show progress: on a TTY only, not in CI, not when `LOLPOP_PROGRESS=0`, and never
 * with `--json` output on a non-TTY stdout (progress goes to stderr, so JSON on stdout stays clean).
 */
export function progressEnabled(stream: ProgressStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LOLPOP_PROGRESS === "0") return false;
  if (env.LOLPOP_PROGRESS === "1") return true;
  return Boolean(stream.isTTY) && !env.CI && env.TERM !== "dumb";
}

function formatElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

/** Creates a progress display drawing on `options.stream`. */
export function createProgress(options: ProgressOptions): Progress {
  const { stream } = options;
  const delayMs = options.delayMs ?? 800;
  const intervalMs = options.intervalMs ?? 100;
  const now = options.now ?? (() => performance.now());
  // Running calls in start order; the first one not of the runner is the step, the last the detail.
  const active: { call: CallInfo; start: number }[] = [];
  let frame = 0;
  let shown = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const clear = () => {
    if (shown) stream.write(CLEAR);
    shown = false;
  };
  const line = (): string | undefined => {
    const calls = active.filter((a) => a.call.scope !== "runner");
    const outer = calls[0];
    if (!outer) return undefined;
    const t = now();
    if (t - outer.start < delayMs) return undefined;
    const inner = calls[calls.length - 1]!;
    const name = (a: { call: CallInfo }) => `${a.call.path}.${a.call.method}`;
    let text = `${FRAMES[frame % FRAMES.length]} ${name(outer)} ${formatElapsed(t - outer.start)}`;
    if (inner !== outer) text += `  › ${name(inner)} ${formatElapsed(t - inner.start)}`;
    const cached = options.cached?.() ?? [];
    if (cached.length) text += `  (cached: ${cached.join(", ")})`;
    const width = (stream.columns || 100) - 1;
    return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  };
  const render = () => {
    const text = line();
    if (text === undefined) return clear();
    frame++;
    stream.write(`${CLEAR}${text}`);
    shown = true;
  };
  const startTimer = () => {
    if (timer) return;
    timer = setInterval(render, intervalMs);
    timer.unref?.();
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  const middleware: Middleware = async (call, next) => {
    const entry = { call, start: now() };
    active.push(entry);
    startTimer();
    try {
      return await next();
    } finally {
      active.splice(active.indexOf(entry), 1);
      if (active.length === 0) {
        stopTimer();
        clear();
      } else if (shown) render(); // at once, so a finished step does not linger on the line
    }
  };

  const logStream: ProgressStream = {
    isTTY: stream.isTTY,
    ...(stream.columns !== undefined ? { columns: stream.columns } : {}),
    write(chunk: string) {
      const redraw = shown;
      clear();
      const out = stream.write(chunk);
      if (redraw) render();
      return out;
    },
  };

  return {
    middleware,
    logStream,
    render,
    stop() {
      stopTimer();
      clear();
    },
  };
}
