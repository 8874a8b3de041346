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

/** Renders rows as an aligned table with a header; cells are single-line strings. */
export function renderTable(header: string[], rows: string[][], indent = ""): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
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
