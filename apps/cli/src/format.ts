/** Plain-text rendering helpers and the error type shared by the commands. */

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
 * the terminal's columns), the widest columns are cut (ending in "...") until each line fits.
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
      widths[widest] = Math.max(MIN, widths[widest]! - (total() - width));
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

/**
 * Shortens the cells of a table (header and rows, as {@link renderTable} takes them) so that the
 * rendered table fits `width` columns: the widest column is cut first (cells end with `...`), no
 * column below `min` characters. Columns listed in `keep` are never cut (ids people copy).
 */
export function fitTable(
  header: string[],
  rows: string[][],
  width: number,
  options: { indent?: number; min?: number; keep?: number[] } = {},
): string[][] {
  if (!Number.isFinite(width)) return rows;
  const min = options.min ?? 8;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const total = () => (options.indent ?? 0) + widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++)
      if (!options.keep?.includes(i) && widths[i]! > min && (widest < 0 || widths[i]! > widths[widest]!))
        widest = i;
    if (widest < 0) break;
    widths[widest] = Math.max(min, widths[widest]! - (total() - width));
  }
  return rows.map((r) => r.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 3)}...` : c)));
}
