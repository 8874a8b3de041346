/**
 * Training progress: one redrawn bar line on a terminal, one log line per epoch otherwise.
 */
import type { Logger } from "@lolpop/core";

/**
 * How progress is shown: `auto` = `bar` when stderr is a terminal (and the lolpop CLI is not
 * drawing its own progress line there), else `log`.
 */
export type ProgressMode = "auto" | "bar" | "log" | "none";

/** Metrics of one epoch (`val_*` only when there is a validation split). */
export interface EpochMetrics {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches (class weights applied). */
  loss: number;
  /** Loss on the validation split (no class weights). */
  val_loss?: number;
  /** Accuracy on the validation split (classification). */
  val_accuracy?: number;
  /** Root mean squared error on the validation split, in target units (regression). */
  val_rmse?: number;
  /** Wall time of the epoch in milliseconds. */
  ms: number;
}

/**
 * An epoch's metrics as tracker metrics (logged with `step` = the epoch): `epoch.loss`,
 * `epoch.val_loss`, `epoch.val_accuracy`, `epoch.val_rmse`, `epoch.ms`.
 */
export function epochMetrics(m: EpochMetrics): Record<string, number> {
  const out: Record<string, number> = { "epoch.loss": m.loss, "epoch.ms": m.ms };
  if (m.val_loss !== undefined) out["epoch.val_loss"] = m.val_loss;
  if (m.val_accuracy !== undefined) out["epoch.val_accuracy"] = m.val_accuracy;
  if (m.val_rmse !== undefined) out["epoch.val_rmse"] = m.val_rmse;
  return out;
}

/** Formats an epoch's metrics: `loss=0.1234 val_loss=0.2345 ...`. */
export function formatMetrics(m: EpochMetrics): string {
  const parts = [`loss=${fmt(m.loss)}`];
  if (m.val_loss !== undefined) parts.push(`val_loss=${fmt(m.val_loss)}`);
  if (m.val_accuracy !== undefined) parts.push(`val_accuracy=${fmt(m.val_accuracy)}`);
  if (m.val_rmse !== undefined) parts.push(`val_rmse=${fmt(m.val_rmse)}`);
  return parts.join(" ");
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toExponential(3) : v.toFixed(4);
}

/** Receives training events. */
export interface ProgressReporter {
  batch(epoch: number, batch: number, batches: number, loss: number): void;
  epoch(metrics: EpochMetrics): void;
  /** Ends the display (a newline after the bar). */
  done(summary: string): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  mode: ProgressMode;
  logger: Logger;
  epochs: number;
  /** Label in front of the bar, e.g. the component path. */
  label: string;
  /** Where the bar goes (default `process.stderr`). */
  stream?: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
}

/** Creates the reporter for one fit. */
export function createProgress(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  // The lolpop CLI sets LOLPOP_PROGRESS_LINE when it draws its own progress line on the terminal.
  const mode =
    options.mode === "auto"
      ? stream.isTTY && !process.env.LOLPOP_PROGRESS_LINE
        ? "bar"
        : "log"
      : options.mode;
  const { logger, epochs, label } = options;
  if (mode === "none") {
    return { batch: () => {}, epoch: () => {}, done: () => {} };
  }
  if (mode === "log") {
    return {
      batch: () => {},
      epoch: (m) => {
        logger.info(`epoch ${m.epoch}/${epochs}: ${formatMetrics(m)} (${(m.ms / 1000).toFixed(2)} s)`, {
          ...m,
        });
      },
      done: (summary) => logger.info(summary),
    };
  }
  let last: EpochMetrics | undefined;
  let lastDraw = 0;
  let drawn = false;
  const width = 24;
  const draw = (epoch: number, batch: number, batches: number, loss: number, force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const done = (epoch - 1 + batch / Math.max(1, batches)) / epochs;
    const filled = Math.min(width, Math.round(done * width));
    const bar = `${"=".repeat(filled)}${filled < width ? ">" : ""}${" ".repeat(Math.max(0, width - filled - 1))}`;
    const tail = last ? ` | ${formatMetrics(last)}` : "";
    let line = `${label} [${bar}] epoch ${epoch}/${epochs} batch ${batch}/${batches} loss=${fmt(loss)}${tail}`;
    const cols = stream.columns ?? 120;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    stream.write(`\r\x1b[2K${line}`);
    drawn = true;
  };
  return {
    batch: (epoch, batch, batches, loss) => draw(epoch, batch, batches, loss),
    epoch: (m) => {
      last = m;
      draw(m.epoch, 1, 1, m.loss, true);
      logger.debug(`epoch ${m.epoch}/${epochs}: ${formatMetrics(m)}`, { ...m });
    },
    done: (summary) => {
      if (drawn) stream.write("\n");
      logger.info(summary);
    },
  };
}
