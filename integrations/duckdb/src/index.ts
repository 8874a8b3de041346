/**
 * @lolpop/duckdb: `DuckDBDataConnector` (Parquet, CSV and JSON files, globs and hive-partitioned
 * folders, SQL queries with named parameters, Postgres and SQLite tables; Parquet and CSV writes)
 * and `DuckDBDataTransformer` (SQL over the input table), on DuckDB's Node bindings. Importing this
 * module registers the plugin; DuckDB itself is loaded on the first read, write or transform.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { duckdbDataConnector } from "./duckdb-data-connector.js";
import { duckdbDataTransformer } from "./duckdb-data-transformer.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/duckdb plugin (registered on import). */
export const duckdbPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [duckdbDataConnector, duckdbDataTransformer],
  }),
);

export default duckdbPlugin;

export {
  type DuckDBDataConnector,
  type DuckDBDataConnectorConfig,
  duckdbDataConnector,
  duckdbDataConnectorConfigSchema,
  type SqlParam,
} from "./duckdb-data-connector.js";
export {
  DUCKDB_TRANSFORM_FORMAT,
  type DuckDBDataTransformer,
  type DuckDBDataTransformerConfig,
  type DuckDBTransformDescription,
  describeDuckDBTransform,
  duckdbDataTransformer,
  duckdbDataTransformerConfigSchema,
} from "./duckdb-data-transformer.js";
export {
  attachDatabases,
  type DatabaseConfig,
  ensureExtension,
  registerConnectionSecrets,
} from "./duckdb-databases.js";
export {
  DEFAULT_NA_VALUES,
  type FileFormat,
  type FileReadOptions,
  formatFromExtension,
  type ResolvedFiles,
  readFiles,
  readFunction,
  resolveFiles,
} from "./duckdb-files.js";
export { describeQuery, type ForcedColumnType, type ReadRequest, readQuery } from "./duckdb-query.js";
export { DuckDBQueryError, type SqlPosition } from "./duckdb-query-error.js";
export { type ResultToTableOptions, resultToTable } from "./duckdb-result-table.js";
export {
  type DuckDBBindings,
  type DuckDBModules,
  DuckDBSession,
  type DuckDBSettings,
  loadDuckDB,
  queryError,
  type SqlLabel,
  sqlPosition,
  withDuckDB,
} from "./duckdb-runtime.js";
export { loadTable } from "./duckdb-table-input.js";
export {
  type BigIntPolicy,
  DuckDBTypeIds,
  MAX_EXACT_INTEGER,
  type NestedPolicy,
  UNSUPPORTED_TYPE_HINTS,
} from "./duckdb-types.js";
export { type ParquetCompression, type WriteOptions, writeTableFile } from "./duckdb-write.js";
