/**
 * Writing tables as CSV, JSON Lines, a JSON array or Parquet (`local-table-parquet.ts`), atomically (what LocalDataConnector.save_data
 * does).
 */
import { extname, resolve } from "node:path";
import { type Column, DataError, type SavedData, type Table, writeFileAtomic } from "@lolpop/core";
import { type DataFormat, formatFromExtension, pickDelimiter } from "./local-table-format.js";
import { writeParquet } from "./local-table-parquet.js";

/** Options of {@link writeTable}. */
export interface WriteTableOptions {
  /** `auto` (default): by extension (`.csv`/`.tsv`/`.txt`, `.json`, `.jsonl`/`.ndjson`, `.parquet`). */
  format?: DataFormat | "auto";
  /** CSV delimiter. Default `,` (a tab for `.tsv`). */
  delimiter?: string;
}

function csvField(text: string, delimiter: string): string {
  if (text.includes(delimiter) || text.includes('"') || text.includes("\n") || text.includes("\r")) {
    return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

function cellText(col: Column, i: number): string | undefined {
  if (col.type === "categorical") {
    const c = col.codes[i]!;
    return c < 0 ? undefined : col.dictionary[c]!;
  }
  const v = col.values[i]!;
  if (Number.isNaN(v)) return undefined;
  if (col.logical === "bool") return v ? "true" : "false";
  if (col.logical === "datetime") return new Date(v).toISOString();
  return String(v);
}

function cellJson(col: Column, i: number): string | number | boolean | null {
  if (col.type === "categorical") {
    const c = col.codes[i]!;
    return c < 0 ? null : col.dictionary[c]!;
  }
  const v = col.values[i]!;
  if (!Number.isFinite(v)) return null;
  if (col.logical === "bool") return v !== 0;
  if (col.logical === "datetime") return new Date(v).toISOString();
  return v;
}

/**
 * Writes a table atomically (temporary file + rename) as CSV or JSON Lines (or a JSON array),
 * creating missing folders.
 *
 * CSV: a header line, RFC 4180 quoting (fields containing the delimiter, a quote or a line break are
 * quoted, quotes doubled), `\n` line endings, missing values as empty fields, booleans as
 * `true`/`false`, datetimes as ISO 8601. JSON Lines: one object per row, missing values as `null`.
 * @returns Where and how much was written.
 * @throws DataError when the format cannot be told from the extension and none is given.
 */
export async function writeTable(
  table: Table,
  path: string,
  options: WriteTableOptions = {},
): Promise<SavedData> {
  const abs = resolve(path);
  const format =
    formatFromExtension(abs) ?? (options.format && options.format !== "auto" ? options.format : undefined);
  if (!format) {
    throw new DataError({
      message: `cannot tell which format to write ${abs} in from its extension "${extname(abs)}"; use .csv, .jsonl, .json or .parquet, or set \`format\``,
      code: "unknown_format",
      details: { file: abs },
    });
  }
  if (format === "parquet") return writeParquet(table, abs);
  const names = table.columnNames;
  const cols = names.map((n) => table.column(n));
  const parts: string[] = [];
  if (format === "csv") {
    const delimiter = pickDelimiter(abs, options.delimiter);
    parts.push(`${names.map((n) => csvField(n, delimiter)).join(delimiter)}\n`);
    for (let i = 0; i < table.numRows; i++) {
      let line = "";
      for (let j = 0; j < cols.length; j++) {
        const t = cellText(cols[j]!, i);
        if (j > 0) line += delimiter;
        if (t !== undefined) line += csvField(t, delimiter);
      }
      parts.push(`${line}\n`);
    }
  } else {
    const rows: string[] = [];
    for (let i = 0; i < table.numRows; i++) {
      const obj: Record<string, unknown> = {};
      for (let j = 0; j < cols.length; j++) obj[names[j]!] = cellJson(cols[j]!, i);
      rows.push(JSON.stringify(obj));
    }
    if (format === "jsonl") for (const r of rows) parts.push(`${r}\n`);
    else parts.push(rows.length ? `[\n${rows.join(",\n")}\n]\n` : "[]\n");
  }
  await writeFileAtomic(abs, parts.join(""));
  return { uri: abs, rows: table.numRows, format };
}
