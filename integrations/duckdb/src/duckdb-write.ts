/**
 * Writing a {@link Table} to Parquet, CSV or JSON Lines with DuckDB's COPY, atomically: DuckDB
 * writes a temporary file next to the target, which is flushed to disk and renamed over it, so a
 * reader sees the old file or the new one and a failed write leaves nothing behind.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DataError, type SavedData, type Table } from "@lolpop/core";
import { type FileFormat, formatFromExtension } from "./duckdb-files.js";
import type { DuckDBSession } from "./duckdb-runtime.js";
import { quoteIdent, quoteLiteral } from "./duckdb-sql.js";
import { loadTable } from "./duckdb-table-input.js";

/** Parquet compression codecs DuckDB writes. */
export type ParquetCompression = "zstd" | "snappy" | "gzip" | "lz4" | "uncompressed";

/** Options of {@link writeTableFile}. */
export interface WriteOptions {
  /** `auto` (default): by the target's extension (`.parquet`/`.pq`, `.csv`/`.tsv`/`.txt`, `.jsonl`/`.ndjson`). */
  format?: FileFormat | "auto";
  /** CSV delimiter. Default `,` (a tab for `.tsv`). */
  delimiter?: string;
  /** Parquet compression. Default `zstd`. */
  compression?: ParquetCompression;
  /** Names the write in errors. */
  what: string;
}

/**
 * Writes `table` to `path` (absolute), creating missing folders.
 *
 * Parquet keeps the column types: `float` DOUBLE, `int` BIGINT, `bool` BOOLEAN, `datetime`
 * TIMESTAMP WITH TIME ZONE (UTC, microseconds), categorical VARCHAR (dictionary-encoded by DuckDB).
 * CSV: a header line, RFC 4180 quoting, missing values as empty fields, booleans `true`/`false`,
 * datetimes ISO 8601 in UTC (`2024-05-01T12:00:00.000Z`), as LocalDataConnector writes them.
 * @throws DataError for an unknown format or a failed write (nothing is left at `path` or beside it).
 */
export async function writeTableFile(
  session: DuckDBSession,
  table: Table,
  path: string,
  options: WriteOptions,
): Promise<SavedData> {
  const byExt = formatFromExtension(path);
  const format = byExt ?? (options.format && options.format !== "auto" ? options.format : undefined);
  if (!format || format === "json") {
    throw new DataError({
      message: `${options.what}: cannot tell which format to write ${path} in from its extension; use .parquet, .csv or .jsonl${format === "json" ? " (a JSON array is not written: use .jsonl)" : ", or set `format`"}`,
      code: "unknown_format",
      details: { file: path },
    });
  }
  const view = await loadTable(session, table, "__lolpop_output");
  const select = table.columnNames
    .map((n) => {
      const col = table.column(n);
      const c = quoteIdent(n);
      if (format !== "parquet" && col.type === "numeric" && col.logical === "datetime")
        return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%gZ') AS ${c}`;
      return c;
    })
    .join(", ");
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let copyOptions: string;
  if (format === "parquet") copyOptions = `FORMAT parquet, COMPRESSION ${options.compression ?? "zstd"}`;
  else if (format === "csv") {
    const delimiter =
      (options.delimiter ?? ",") === "," && path.toLowerCase().endsWith(".tsv")
        ? "\t"
        : (options.delimiter ?? ",");
    copyOptions = `FORMAT csv, HEADER true, DELIMITER ${quoteLiteral(delimiter)}, QUOTE '"', ESCAPE '"', NULLSTR ''`;
  } else copyOptions = "FORMAT json";
  try {
    await session.run(
      `COPY (SELECT ${select || "*"} FROM ${view}) TO ${quoteLiteral(tmp)} (${copyOptions})`,
      { what: options.what },
    );
    const fh = await open(tmp, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true, recursive: true });
    if (DataError.isInstance(e)) throw e;
    throw new DataError({
      message: `${options.what}: cannot write ${path}: ${(e as Error).message}`,
      code: "write_failed",
      details: { file: path },
      cause: e,
    });
  }
  return { uri: path, rows: table.numRows, format };
}
