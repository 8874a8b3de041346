/** Plain-text rendering helpers and the error type shared by the commands. */

import { createRequire } from "node:module";

const { writeSync } = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");

/**
 * Writes `text` and a line break (unless it ends with one) to the process's standard output, on
 * file descriptor 1 itself: `process.stdout` loads Node's stream modules (~4 ms of a `validate`),
 * and a command may have redirected `process.stdout.write` (`--json`: component output goes to
 * stderr). A pipe that is full (EAGAIN) gets the rest through the stream; a closed one is ignored.
 */
export function writeLine(text: string): void {
  const bytes = Buffer.from(text.endsWith("\n") ? text : `${text}\n`);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EPIPE") return;
    if (code !== "EAGAIN") throw e;
    Object.getPrototypeOf(process.stdout).write.call(process.stdout, bytes.subarray(done));
  }
}

/** An error that ends the command with `code` (2: usage or config error, 1: failure) and prints `message`. */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ExitError";
  }
}

/**
 * Renders rows as an aligned table with a header; cells are single-line strings. With `width` (e.g.
 * the terminal's columns), the widest columns are cut (ending in "...") until each line fits, so that
 * several wide columns are cut evenly.
 */
export function renderTable(header: string[], rows: string[][], indent = "", width?: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  if (width !== undefined && width > 0) {
    const total = () => indent.length + widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1);
    const MIN = 6;
    while (total() > width) {
      let widest = 0;
      for (let i = 1; i < widths.length; i++) if (widths[i]! > widths[widest]!) widest = i;
      if (widths[widest]! <= MIN) break;
      // One character at a time from the widest: wide columns end up cut evenly.
      widths[widest] = widths[widest]! - 1;
    }
    const cut = (c: string, w: number) => (c.length > w ? `${c.slice(0, Math.max(0, w - 3))}...` : c);
    header = header.map((h, i) => cut(h, widths[i]!));
    rows = rows.map((r) => r.map((c, i) => cut(c, widths[i]!)));
  }
  const line = (cells: string[]) =>
    `${indent}${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()}`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Milliseconds for people. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Shortens a value for a table cell. */
export function cell(value: unknown, max = 60): string {
  const s = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
  const one = s.replace(/\s+/g, " ");
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
}

/**
 * The width tables must fit: the terminal's columns on a TTY, else `$COLUMNS` when set, else no
 * limit (output piped to a file keeps whole cells).
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isFinite(env) && env > 0 ? env : Number.POSITIVE_INFINITY;
}
