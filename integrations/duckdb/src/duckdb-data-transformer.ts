/**
 * DuckDBDataTransformer: SQL over the input table. The table is loaded into a private DuckDB
 * database as the view `input` (its column types given back: int BIGINT, bool BOOLEAN, datetime
 * TIMESTAMPTZ in UTC, float DOUBLE, categorical VARCHAR), the configured SELECT runs over it, and its
 * result is the transformed table. Columns that keep their name keep their role (the target stays
 * the target).
 *
 * In a process pipeline it is saved with each model version (type and config) and replayed at
 * predict by core's inference bundle. {@link describeDuckDBTransform} gives a stable description of
 * the transform (the SQL text, its parameters and a hash of everything that decides the output).
 */
import { createRequire } from "node:module";
import {
  type ColumnRole,
  type DataTransformer,
  defineComponent,
  hashValue,
  type JsonSchema,
  type Table,
} from "@lolpop/core";
import { SHARED_SCHEMA, type SqlParam } from "./duckdb-data-connector.js";
import { readQuery } from "./duckdb-query.js";
import { type DuckDBSettings, withDuckDB } from "./duckdb-runtime.js";
import { trimStatement } from "./duckdb-sql.js";
import { loadTable } from "./duckdb-table-input.js";
import type { BigIntPolicy, NestedPolicy } from "./duckdb-types.js";

/** Config of {@link duckdbDataTransformer} (defaults applied by its schema). */
export interface DuckDBDataTransformerConfig extends DuckDBSettings {
  /** The SELECT that makes the output from the view named `input_name` (required). */
  sql: string;
  /** Values of the SQL's named parameters (`$name`). Default `{}`. */
  params: Record<string, SqlParam>;
  /** Name of the input view. Default `input`. */
  input_name: string;
  /** Integers beyond ±2^53 in the output. Default `error`. */
  bigint: BigIntPolicy;
  /** Nested output columns. Default `error`. */
  nested: NestedPolicy;
}

/** JSON Schema of {@link DuckDBDataTransformerConfig}. */
export const duckdbDataTransformerConfigSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["sql"],
  properties: {
    sql: {
      type: "string",
      minLength: 1,
      description:
        "One SELECT over the input table (FROM input), e.g. SELECT *, body_mass_g / 1000 AS body_mass_kg FROM input WHERE sex IS NOT NULL. $name parameters come from params.",
    },
    params: {
      type: "object",
      additionalProperties: { type: ["string", "number", "boolean", "null"] },
      default: {},
      description: "Values of the SQL's named parameters ($name), bound by DuckDB.",
    },
    input_name: {
      type: "string",
      pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
      default: "input",
      description: "Name the input table has in the SQL.",
    },
    ...SHARED_SCHEMA,
  },
};

/** Version of the description format returned by {@link describeDuckDBTransform}. */
export const DUCKDB_TRANSFORM_FORMAT = "lolpop.duckdb-transform/1";

/** A stable, JSON-serializable description of a DuckDB transform, for inference bundles. */
export interface DuckDBTransformDescription {
  format: typeof DUCKDB_TRANSFORM_FORMAT;
  type: "DuckDBDataTransformer";
  /** The SQL text exactly as configured. */
  sql: string;
  params: Record<string, SqlParam>;
  input_name: string;
  bigint: BigIntPolicy;
  nested: NestedPolicy;
  /** DuckDB release the transform was recorded with (`v1.5.5`). */
  duckdb_version: string;
  /** SHA-256 of the fields that decide the output (sql, params, input_name, bigint, nested). */
  hash: string;
}

const pkg = createRequire(import.meta.url)("../package.json") as {
  dependencies: Record<string, string>;
};

/** Describes the transform `config` makes (the same config gives the same description and hash). */
export function describeDuckDBTransform(
  config: Pick<DuckDBDataTransformerConfig, "sql"> & Partial<DuckDBDataTransformerConfig>,
): DuckDBTransformDescription {
  const decisive = {
    sql: config.sql,
    params: config.params ?? {},
    input_name: config.input_name ?? "input",
    bigint: config.bigint ?? "error",
    nested: config.nested ?? "error",
  };
  const api = pkg.dependencies["@duckdb/node-api"] ?? "";
  return {
    format: DUCKDB_TRANSFORM_FORMAT,
    type: "DuckDBDataTransformer",
    ...decisive,
    duckdb_version: `v${api.replace(/-r\.\d+$/, "")}`,
    hash: hashValue(decisive),
  };
}

/** An instance of {@link duckdbDataTransformer}: the `DataTransformer` contract plus `describe()`. */
export interface DuckDBDataTransformer extends DataTransformer {
  /** The stable description of this transform ({@link describeDuckDBTransform}). */
  describe(): DuckDBTransformDescription;
}

/**
 * `DuckDBDataTransformer` (kind `data_transformer`): runs `sql` over the input table (`FROM input`)
 * in DuckDB and returns the result. The input is never modified; output columns named like input
 * columns keep their role. Environment: `LOLPOP_DUCKDB_EXTENSION_DIRECTORY` (extension folder).
 */
export const duckdbDataTransformer = defineComponent<"data_transformer", DuckDBDataTransformerConfig>({
  kind: "data_transformer",
  type: "DuckDBDataTransformer",
  description: "Transforms the data with SQL (FROM input) in DuckDB",
  configSchema: duckdbDataTransformerConfigSchema,
  create(ctx) {
    const cfg = ctx.config;
    const settings: DuckDBSettings = {
      threads: cfg.threads ?? null,
      memory_limit: cfg.memory_limit ?? null,
      extension_directory: cfg.extension_directory ?? null,
      autoinstall_extensions: cfg.autoinstall_extensions ?? true,
    };
    const instance: DuckDBDataTransformer = {
      async transform(table: Table): Promise<Table> {
        const started = performance.now();
        const out = await withDuckDB(settings, async (session) => {
          await loadTable(session, table, cfg.input_name ?? "input");
          return readQuery(session, {
            what: `${ctx.path}: sql`,
            sql: trimStatement(cfg.sql),
            userSql: true,
            params: cfg.params ?? {},
            bigint: cfg.bigint ?? "error",
            nested: cfg.nested ?? "error",
          });
        });
        const roles: Record<string, ColumnRole> = {};
        for (const name of out.columnNames) if (table.has(name)) roles[name] = table.role(name);
        const result = Object.keys(roles).length ? out.withRoles(roles) : out;
        ctx.logger.info(
          `transformed ${table.numRows} x ${table.numColumns} into ${result.numRows} x ${result.numColumns}`,
          { rows: result.numRows, columns: result.numColumns, ms: Math.round(performance.now() - started) },
        );
        return result;
      },
      describe: () => describeDuckDBTransform(cfg),
    };
    return instance;
  },
});
