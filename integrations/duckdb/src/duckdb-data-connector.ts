/**
 * DuckDBDataConnector: reads tables through DuckDB from files (CSV, Parquet, JSON, JSON Lines; one
 * file, a glob or a folder of hive-partitioned files), from a SQL query with named parameters, or
 * from a table of an attached Postgres or SQLite database; writes Parquet, CSV or JSON Lines
 * atomically. Every call opens a private in-memory DuckDB database and closes it when done.
 */
import { isAbsolute, resolve } from "node:path";
import {
  ConfigError,
  configIssuesOf,
  type DataConnector,
  DataError,
  DEFAULT_NA_VALUES,
  defineComponent,
  type JsonSchema,
  type SavedData,
  type Table,
} from "@lolpop/core";
import { attachDatabases, type DatabaseConfig } from "./duckdb-databases.js";
import { type FileFormat, readFiles, resolveFiles } from "./duckdb-files.js";
import { type ForcedColumnType, readQuery } from "./duckdb-query.js";
import { type DuckDBSession, type DuckDBSettings, withDuckDB } from "./duckdb-runtime.js";
import { quoteLiteral, quoteQualified, trimStatement } from "./duckdb-sql.js";
import type { BigIntPolicy, NestedPolicy } from "./duckdb-types.js";
import { type ParquetCompression, writeTableFile } from "./duckdb-write.js";

/** A value of a named SQL parameter. */
export type SqlParam = string | number | boolean | null;

/** Config of {@link duckdbDataConnector} (defaults applied by its schema). */
export interface DuckDBDataConnectorConfig extends DuckDBSettings {
  /** File, glob or folder read by `get_data()` (relative: from the project root). Default: none. */
  path?: string | null;
  /** SQL query read by `get_data()`; `$name` parameters take their values from `params`. Default: none. */
  query?: string | null;
  /** Table of an attached database read by `get_data()` (`db.schema.table`, or `schema.table` with one database). Default: none. */
  table?: string | null;
  /** Values of the query's named parameters. Default `{}`. */
  params: Record<string, SqlParam>;
  /** Databases attached read-only under an alias, usable in `query` and `table`. Default `{}`. */
  databases: Record<string, DatabaseConfig>;
  /** File written by `save_data()` when no target is given; its extension picks the format. Default: none. */
  output_path?: string | null;
  /** Format of the files read (and written when the extension does not tell). Default `auto` (by extension). */
  format: FileFormat | "auto";
  /** CSV field delimiter. Default `,` (a tab for `.tsv`). */
  delimiter: string;
  /** Strings read as missing values in CSV. Default: the same list as LocalDataConnector's. */
  na_values: string[];
  /** Forced column types by name (numeric, categorical, datetime, bool). Default `{}`. */
  columns: Record<string, ForcedColumnType>;
  /** Let DuckDB type CSV columns of dates and timestamps. Default false (they stay text, as in LocalDataConnector). */
  detect_dates: boolean;
  /** Read `key=value` folders as columns: `auto` (default), true or false. */
  hive_partitioning: boolean | "auto";
  /** Match the columns of several files by name. Default false (by position). */
  union_by_name: boolean;
  /** Integers beyond ±2^53: `error` (default), `double` (nearest double) or `string` (exact text). */
  bigint: BigIntPolicy;
  /** LIST / STRUCT / MAP / ARRAY columns: `error` (default), `flatten` or `json`. */
  nested: NestedPolicy;
  /** Parquet compression of `save_data`. Default `zstd`. */
  compression: ParquetCompression;
}

const SETTINGS_SCHEMA: Record<string, JsonSchema> = {
  threads: {
    type: ["integer", "null"],
    minimum: 1,
    default: null,
    description: "DuckDB worker threads. Default: DuckDB's (one per core).",
  },
  memory_limit: {
    type: ["string", "null"],
    minLength: 1,
    default: null,
    description: "DuckDB memory limit, e.g. 4GB. Default: DuckDB's (80% of RAM).",
  },
  extension_directory: {
    type: ["string", "null"],
    minLength: 1,
    default: null,
    description:
      "Folder where DuckDB installs and finds extensions (postgres_scanner, sqlite_scanner). Default: $LOLPOP_DUCKDB_EXTENSION_DIRECTORY, else DuckDB's ~/.duckdb/extensions.",
  },
  autoinstall_extensions: {
    type: "boolean",
    default: true,
    description: "Let DuckDB download a missing extension from its repository.",
  },
};

/** Options shared by the connector and the transformer's schemas. */
export const SHARED_SCHEMA: Record<string, JsonSchema> = {
  bigint: {
    enum: ["error", "double", "string"],
    default: "error",
    description:
      "Integers beyond ±2^53 (which a Float64Array cannot hold exactly): error names the column, row and value; double keeps the nearest double; string makes the column exact decimal text.",
  },
  nested: {
    enum: ["error", "flatten", "json"],
    default: "error",
    description:
      'LIST, STRUCT, MAP and ARRAY columns: error refuses them; flatten makes one column per struct field ("address.city") and lists JSON text; json makes every nested value JSON text.',
  },
  ...SETTINGS_SCHEMA,
};

const PARAM_SCHEMA: JsonSchema = {
  type: "object",
  additionalProperties: { type: ["string", "number", "boolean", "null"] },
  default: {},
  description:
    "Values of the SQL's named parameters ($name), bound by DuckDB (never pasted into the SQL text).",
};

const COLUMN_TYPES: ForcedColumnType[] = ["numeric", "categorical", "datetime", "bool"];

/** JSON Schema of {@link DuckDBDataConnectorConfig}. */
export const duckdbDataConnectorConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    path: {
      type: ["string", "null"],
      minLength: 1,
      default: null,
      description:
        "File, glob (data/*.parquet, data/**/*.csv) or folder read by get_data(); relative paths resolve from the project root. Set one of path, query or table.",
    },
    query: {
      type: ["string", "null"],
      minLength: 1,
      default: null,
      description:
        "SQL query read by get_data() (one statement). Files are read with read_parquet('data/*.parquet') or 'file.csv' (relative to the project root); attached databases as alias.schema.table; $name parameters come from params.",
    },
    table: {
      type: ["string", "null"],
      minLength: 1,
      default: null,
      description:
        "Table read by get_data(): db.schema.table, or schema.table / table when one database is attached.",
    },
    params: PARAM_SCHEMA,
    databases: {
      type: "object",
      default: {},
      description: "Databases attached read-only under an alias (the key).",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["type"],
        properties: {
          type: { enum: ["postgres", "sqlite"], description: "postgres or sqlite." },
          connection_env: {
            type: ["string", "null"],
            minLength: 1,
            description:
              "Postgres: name of the environment variable holding the connection string or URI (never the value itself). Default: libpq's PGHOST, PGUSER, PGPASSWORD... variables.",
          },
          path: {
            type: ["string", "null"],
            minLength: 1,
            description: "SQLite: the database file; relative paths resolve from the project root.",
          },
        },
      },
    },
    output_path: {
      type: ["string", "null"],
      minLength: 1,
      default: null,
      description:
        "File written by save_data() when no target is given; .parquet, .csv (.tsv) or .jsonl. Relative paths resolve from the project root.",
    },
    format: {
      enum: ["auto", "csv", "parquet", "json", "jsonl"],
      default: "auto",
      description: "Format of the files read: auto picks it from the extension.",
    },
    delimiter: {
      type: "string",
      minLength: 1,
      maxLength: 1,
      default: ",",
      description: "CSV field delimiter, one character (a .tsv file with the default uses a tab).",
    },
    na_values: {
      type: "array",
      items: { type: "string" },
      default: [...DEFAULT_NA_VALUES],
      description: "Strings read as missing values in CSV files.",
    },
    columns: {
      type: "object",
      additionalProperties: { enum: COLUMN_TYPES },
      default: {},
      description:
        "Forces column types by name: numeric, categorical, datetime (epoch milliseconds, UTC) or bool. Other columns keep the type DuckDB reads.",
    },
    detect_dates: {
      type: "boolean",
      default: false,
      description:
        "Let DuckDB type CSV columns of dates and timestamps as datetime. Default false: they stay text unless forced in columns, as with LocalDataConnector.",
    },
    hive_partitioning: {
      enum: ["auto", true, false],
      default: "auto",
      description:
        "Read key=value folder names as columns: auto (when the paths look partitioned), true or false.",
    },
    union_by_name: {
      type: "boolean",
      default: false,
      description:
        "Match the columns of several files by name (a missing column is NULL) rather than by position.",
    },
    compression: {
      enum: ["zstd", "snappy", "gzip", "lz4", "uncompressed"],
      default: "zstd",
      description: "Parquet compression used by save_data().",
    },
    ...SHARED_SCHEMA,
  },
};

/** An instance of {@link duckdbDataConnector}: the `DataConnector` contract. */
export type DuckDBDataConnector = DataConnector;

/** What `get_data` reads. */
type Source =
  | { kind: "path"; path: string }
  | { kind: "query"; sql: string }
  | { kind: "table"; name: string };

function pickSource(cfg: DuckDBDataConnectorConfig, source: string | undefined, path: string): Source {
  if (source !== undefined) {
    const m = /^\s*query:\s*([\s\S]*)$/.exec(source);
    if (m) return { kind: "query", sql: m[1]! };
    return { kind: "path", path: source };
  }
  if (cfg.path) return { kind: "path", path: cfg.path };
  if (cfg.query) return { kind: "query", sql: cfg.query };
  if (cfg.table) return { kind: "table", name: cfg.table };
  throw new DataError({
    message: `${path}: get_data() was called without a source and none is configured; set ${path}.config.path (a file, glob or folder), .query (SQL) or .table`,
    code: "no_source",
  });
}

/**
 * The source rules the schema cannot express (one of path, query and table; params need a query; a
 * table needs an attached database). The definition's `checkConfig`, so `lolpop validate` reports
 * them at their lines, and `create()` for code that builds the component directly.
 * @param path The component's YAML path, e.g. `process.data_connector`.
 */
function checkConnectorConfig(cfg: DuckDBDataConnectorConfig, path: string): void {
  const ctx = { path };
  const set = (["path", "query", "table"] as const).filter((k) => cfg[k]);
  if (set.length > 1) {
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${ctx.path}.config.${set[1]}`,
          message: `set only one of path, query and table (found ${set.join(" and ")})`,
        },
      ],
    });
  }
  if (Object.keys(cfg.params ?? {}).length > 0 && cfg.path) {
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${ctx.path}.config.params`,
          message: "params are the values of a query's $name parameters; they need `query`, not `path`",
        },
      ],
    });
  }
  if (cfg.table && Object.keys(cfg.databases ?? {}).length === 0) {
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${ctx.path}.config.table`,
          message:
            "`table` reads from an attached database: configure it under `databases` (postgres or sqlite)",
        },
      ],
    });
  }
  for (const [alias, db] of Object.entries(cfg.databases ?? {})) {
    if (db.type === "sqlite" && !db.path)
      throw new ConfigError({
        issues: [
          {
            code: "invalid_value",
            path: `${ctx.path}.config.databases.${alias}.path`,
            message: "a sqlite database needs `path`",
          },
        ],
      });
  }
}

/**
 * `DuckDBDataConnector` (kind `data_connector`): `get_data(source?)` reads `source` (a path, glob or
 * folder, or `query: SELECT ...`), else the configured `path`, `query` or `table`;
 * `save_data(table, target?)` writes `target` or `output_path` as Parquet, CSV or JSON Lines,
 * atomically. Relative paths resolve from the project root. Environment: `LOLPOP_DUCKDB_EXTENSION_DIRECTORY`
 * (extension folder), and the variables named by `databases.*.connection_env`.
 */
export const duckdbDataConnector = defineComponent<"data_connector", DuckDBDataConnectorConfig>({
  kind: "data_connector",
  type: "DuckDBDataConnector",
  description:
    "Reads Parquet, CSV and JSON files, globs and hive-partitioned folders, SQL queries and Postgres/SQLite tables through DuckDB; writes Parquet or CSV",
  configSchema: duckdbDataConnectorConfigSchema,
  checkConfig: (config, info) => configIssuesOf(info.path, () => checkConnectorConfig(config, info.path)),
  create(ctx) {
    checkConnectorConfig(ctx.config, ctx.path);
    const cfg = ctx.config;
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.project.root, p));
    const settings: DuckDBSettings = {
      threads: cfg.threads ?? null,
      memory_limit: cfg.memory_limit ?? null,
      extension_directory: cfg.extension_directory ? abs(cfg.extension_directory) : null,
      autoinstall_extensions: cfg.autoinstall_extensions ?? true,
    };
    const prepare = async (session: DuckDBSession) => {
      await session.run(`SET file_search_path = ${quoteLiteral(ctx.project.root)}`, { what: ctx.path });
      await attachDatabases(session, cfg.databases ?? {}, ctx.path, abs);
    };
    const policies = { bigint: cfg.bigint ?? "error", nested: cfg.nested ?? "error" } as const;
    return {
      async get_data(source?: string): Promise<Table> {
        const src = pickSource(cfg, source, ctx.path);
        const started = performance.now();
        let described: string;
        const table = await withDuckDB(settings, async (session) => {
          await prepare(session);
          if (src.kind === "path") {
            const file = abs(src.path);
            described = file;
            const what = `${ctx.path}: ${file}`;
            const files = await resolveFiles(session, file, cfg.format ?? "auto", what);
            return readFiles(
              session,
              files,
              {
                format: cfg.format ?? "auto",
                delimiter: cfg.delimiter ?? ",",
                na_values: cfg.na_values ?? DEFAULT_NA_VALUES,
                columns: cfg.columns ?? {},
                detect_dates: cfg.detect_dates ?? false,
                hive_partitioning: cfg.hive_partitioning ?? "auto",
                union_by_name: cfg.union_by_name ?? false,
                ...policies,
              },
              what,
            );
          }
          let sql: string;
          let userSql = false;
          if (src.kind === "query") {
            sql = trimStatement(src.sql);
            userSql = true;
            described = "query";
          } else {
            const aliases = Object.keys(cfg.databases ?? {});
            const dots = src.name.replace(/"[^"]*"/g, "x").split(".").length;
            const name = dots >= 3 || aliases.length !== 1 ? src.name : `${aliases[0]}.${src.name}`;
            sql = `SELECT * FROM ${quoteQualified(name)}`;
            described = `table ${name}`;
          }
          return readQuery(session, {
            what: `${ctx.path}: ${src.kind === "query" ? "query" : described}`,
            sql,
            userSql,
            params: src.kind === "query" ? (cfg.params ?? {}) : {},
            columns: cfg.columns ?? {},
            ...policies,
          });
        });
        ctx.logger.info(`read ${table.numRows} rows x ${table.numColumns} columns from ${described!}`, {
          source: described!,
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
        const file = abs(p);
        const saved = await withDuckDB(settings, (session) =>
          writeTableFile(session, table, file, {
            format: cfg.format ?? "auto",
            delimiter: cfg.delimiter ?? ",",
            compression: cfg.compression ?? "zstd",
            what: `${ctx.path}: ${file}`,
          }),
        );
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
