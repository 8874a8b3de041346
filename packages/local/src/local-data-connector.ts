/**
 * LocalDataConnector: reads and writes CSV, JSON, JSON Lines and Parquet files on the local disk. The files
 * are read by `local-table-reader.ts` (streamed, types inferred per column) and written by
 * `local-table-writer.ts`; this module is the component: its config, paths relative to the project
 * root, and the `DataConnector` contract.
 */
import { stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import {
  COLUMN_TYPINGS,
  DATA_FILES_LINEAGE_KEY,
  type DataConnector,
  DataError,
  type DataFileRecord,
  defineComponent,
  type GetDataOptions,
  type JsonSchema,
  type SavedData,
  sha256File,
  type Table,
  typingOf,
} from "@lolpop/core";
import { localBlobStore } from "./local-blob-store.js";
import { TEXT_ENCODINGS, type TextEncoding } from "./local-table-csv.js";
import { type DataFormat, DEFAULT_NA_VALUES, type ForcedColumnType } from "./local-table-format.js";
import { type ReadTableOptions, readTable } from "./local-table-reader.js";
import { writeTable } from "./local-table-writer.js";

/** Config of {@link localDataConnector}. */
export interface LocalDataConnectorConfig {
  /** File read by `get_data()` when no source is given (relative: from the project root). Default: none. */
  path?: string | null;
  /** File written by `save_data()` when no target is given (relative: from the project root). Default: none. */
  output_path?: string | null;
  /** Format of the files read; `auto` (default) picks it from the extension. */
  format: DataFormat | "auto";
  /** CSV field delimiter. Default `,`. */
  delimiter: string;
  /** Strings read as missing values. Default {@link DEFAULT_NA_VALUES}. */
  na_values: string[];
  /** Forced column types by name. Default `{}` (all inferred). */
  columns?: Record<string, ForcedColumnType>;
  /** Text encoding of the files read. Default `utf-8` (invalid UTF-8 is an error naming the line). */
  encoding: TextEncoding;
  /**
   * Store the bytes of every file read in the store's blobs (`<project>/.lolpop/blobs`), so
   * `lolpop run --reproduce` can use them after the file changed. Default false: the run records
   * the file's SHA-256 only.
   */
  snapshot_data?: boolean;
}

/** An instance of {@link localDataConnector}: the `DataConnector` contract. */
export type LocalDataConnector = DataConnector;

/** JSON Schema of {@link localDataConnector}'s config. */
export const localDataConnectorConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    path: {
      type: ["string", "null"],
      minLength: 1,
      description:
        "File read by get_data() when no source is given; relative paths resolve from the project root. Default: none (get_data needs a source).",
      default: null,
    },
    output_path: {
      type: ["string", "null"],
      minLength: 1,
      description:
        "File written by save_data() when no target is given; relative paths resolve from the project root. The format follows its extension (.csv, .jsonl, .json, .parquet). Default: none (save_data needs a target).",
      default: null,
    },
    format: {
      enum: ["auto", "csv", "json", "jsonl", "parquet"],
      description:
        "Format of the files read: auto picks it from the extension (.csv/.tsv/.txt, .json, .jsonl/.ndjson, .parquet/.pq).",
      default: "auto",
    },
    delimiter: {
      type: "string",
      minLength: 1,
      maxLength: 1,
      description: "CSV field delimiter, one character (a .tsv file with the default uses a tab).",
      default: ",",
    },
    na_values: {
      type: "array",
      items: { type: "string" },
      description:
        "Strings read as missing values (NaN for numeric columns, missing for categorical). In Parquet files nulls are missing and only string columns are checked against na_values.",
      default: [...DEFAULT_NA_VALUES],
    },
    columns: {
      type: "object",
      additionalProperties: { enum: [...COLUMN_TYPINGS] },
      description:
        "Forces column types by name: numeric, categorical, datetime (epoch milliseconds) or bool. Other columns are inferred (and a forced column gets no data-hygiene warning).",
      default: {},
    },
    encoding: {
      enum: [...TEXT_ENCODINGS],
      description:
        "Text encoding of the files read: utf-8 (invalid bytes are an error naming the line), latin1 (ISO-8859-1) or windows-1252.",
      default: "utf-8",
    },
    snapshot_data: {
      type: "boolean",
      description:
        "Store the bytes of each file read as a content-addressed blob in the store (.lolpop/blobs) and reference it from the run, so `lolpop run --reproduce <run>` uses them even after the file changed (gc keeps them while the run is kept). Default false: only the file's SHA-256 is recorded.",
      default: false,
    },
  },
};

/**
 * `LocalDataConnector` (kind `data_connector`): reads CSV / JSON / JSON Lines / Parquet files and
 * writes CSV, JSON Lines or Parquet, atomically. `get_data(source?, options?)` reads `source` or the
 * configured `path`; given a model version's input schema (`options.expected`), it reads each of its
 * columns as the version was trained on it (its `columns` option still wins) and adds the training
 * connector's `na_values` to its own, so a value that does not fit is an error naming the file's line;
 * `save_data(table, target?)` writes to `target` or `output_path`. Relative paths resolve from the
 * project root (the config file's folder).
 *
 * Reading logs a warning for a column that is probably not read as meant: a column of numbers with
 * a few non-numeric tokens (read as text; suggests `na_values`), a column of ISO dates (read as
 * text), a column with a different value on every row (like an ID). Date-like and ID-like warnings
 * are not given for the runner's `index` and `target` columns, and no warning for a column whose type
 * is set in `columns`.
 */
export const localDataConnector = defineComponent<"data_connector", LocalDataConnectorConfig>({
  kind: "data_connector",
  type: "LocalDataConnector",
  description: "Reads and writes local CSV, JSON, JSON Lines and Parquet files",
  configSchema: localDataConnectorConfigSchema,
  create(ctx) {
    const cfg = ctx.config;
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.project.root, p));
    const readOptions = (options: GetDataOptions): ReadTableOptions => {
      const own = cfg.na_values ?? DEFAULT_NA_VALUES;
      const expected = options.expected;
      const typed: Record<string, ForcedColumnType> = {};
      for (const c of expected?.schema.columns ?? []) {
        const t = typingOf(c);
        if (t) typed[c.name] = t;
      }
      const trainedNa = expected?.schema.typing.na_values ?? [];
      return {
        format: cfg.format ?? "auto",
        delimiter: cfg.delimiter ?? ",",
        na_values: [...own, ...trainedNa.filter((v) => !own.includes(v))],
        encoding: cfg.encoding ?? "utf-8",
        ...(cfg.columns && Object.keys(cfg.columns).length ? { columns: cfg.columns } : {}),
        ...(expected && Object.keys(typed).length
          ? { expected: { columns: typed, label: expected.label } }
          : {}),
        onWarning: (w) => {
          if (w.code !== "stray_tokens") {
            const roles = [ctx.lookup<string>("index"), ctx.lookup<string>("target")];
            if (roles.includes(w.column)) return;
          }
          ctx.logger.warn(w.message, { code: w.code, ...w.details });
        },
      };
    };
    /** The file's hash (and, with `snapshot_data`, its bytes as a blob) for `--reproduce`. */
    const recordDataFile = async (file: string, via: DataFileRecord["via"]): Promise<DataFileRecord> => {
      const rel = relative(ctx.project.root, file);
      const inside = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
      const [sha256, info] = cfg.snapshot_data
        ? await localBlobStore(ctx.project.stateDir)
            .putFile(file)
            .then((ref) => [ref.digest, { size: ref.size }] as const)
        : await Promise.all([sha256File(file), stat(file)]);
      return {
        connector: ctx.path,
        via,
        file: inside ? rel.split(sep).join("/") : file,
        sha256,
        bytes: info.size,
        snapshot: cfg.snapshot_data === true,
      };
    };
    return {
      async get_data(source?: string, options: GetDataOptions = {}): Promise<Table> {
        const p = source ?? cfg.path;
        if (!p) {
          throw new DataError({
            message: `${ctx.path}: get_data() was called without a source and no \`path\` is configured; set ${ctx.path}.config.path to the data file`,
            code: "no_source",
          });
        }
        const file = abs(p);
        const started = performance.now();
        const [table, record] = await Promise.all([
          readTable(file, readOptions(options)),
          recordDataFile(file, source === undefined ? "path" : "source"),
        ]);
        const recorded = ctx.lineage.snapshot().extra[DATA_FILES_LINEAGE_KEY];
        ctx.lineage.record(DATA_FILES_LINEAGE_KEY, [
          ...(Array.isArray(recorded) ? (recorded as DataFileRecord[]) : []),
          record,
        ]);
        ctx.logger.info(`read ${table.numRows} rows x ${table.numColumns} columns from ${file}`, {
          file,
          rows: table.numRows,
          columns: table.numColumns,
          ms: Math.round(performance.now() - started),
        });
        return table;
      },
      async save_data(table: Table, target?: string): Promise<SavedData> {
        const p = target ?? cfg.output_path;
        if (!p) {
          throw new DataError({
            message: `${ctx.path}: save_data() was called without a target and no \`output_path\` is configured; set ${ctx.path}.config.output_path`,
            code: "no_target",
          });
        }
        const saved = await writeTable(table, abs(p), {
          format: cfg.format ?? "auto",
          delimiter: cfg.delimiter ?? ",",
        });
        ctx.logger.info(`wrote ${saved.rows} rows to ${saved.uri}`, {
          file: saved.uri,
          rows: saved.rows,
          format: saved.format,
        });
        return saved;
      },
    } satisfies DataConnector;
  },
});
