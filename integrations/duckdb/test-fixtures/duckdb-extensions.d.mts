/** Types of test-fixtures/duckdb-extensions.mjs. */

/** Root of the monorepo. */
export const repoRoot: string;

/** DuckDB release of @duckdb/node-api, e.g. `v1.5.5`. */
export function duckdbRelease(): string;

/** A DuckDB extension folder with the postgres_scanner and sqlite_scanner extensions (from the venv). */
export function extensionDirectory(): string;
