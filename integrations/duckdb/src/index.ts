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

// The public surface: the components, their config schemas, the transform description the
// inference bundle records, and the query error. Readers, sessions and type tables stay in their
// modules (tests/publish/package-metadata.test.ts pins this list).
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
export type { DatabaseConfig } from "./duckdb-databases.js";
export { DuckDBQueryError, type SqlPosition } from "./duckdb-query-error.js";
export type { BigIntPolicy, NestedPolicy } from "./duckdb-types.js";
export type { ParquetCompression } from "./duckdb-write.js";
