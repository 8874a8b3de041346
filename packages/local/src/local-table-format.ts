/**
 * What the table reader and writer share: the file formats, the forced column types, the default
 * missing-value strings, and the choice of format and CSV delimiter from a file's extension.
 */
import { extname } from "node:path";
import type { ColumnTyping } from "@lolpop/core";

/** File formats the connector reads and writes. */
export type DataFormat = "csv" | "json" | "jsonl" | "parquet";

/** Types a column can be forced to with the `columns` option (core's {@link ColumnTyping}). */
export type ForcedColumnType = ColumnTyping;

/** Default strings read as missing values (core's list, shared with every connector). */
export { DEFAULT_NA_VALUES } from "@lolpop/core";

/** The format of a file by its extension, or undefined. */
export function formatFromExtension(path: string): DataFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv" || ext === ".tsv" || ext === ".txt") return "csv";
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  return undefined;
}

/** The CSV delimiter: the given one, or a tab for a `.tsv` file with the default `,`. */
export function pickDelimiter(path: string, delimiter: string | undefined): string {
  const d = delimiter ?? ",";
  if (d === "," && extname(path).toLowerCase() === ".tsv") return "\t";
  return d;
}
