/**
 * Attaching databases to the DuckDB session through DuckDB's own scanners (the `postgres_scanner`
 * and `sqlite_scanner` extensions), read-only. Connection strings come from the environment and are
 * registered as secrets, so no log line, error or tracked value shows them.
 */
import { existsSync } from "node:fs";
import { DataError, registerSecret } from "@lolpop/core";
import type { DuckDBSession } from "./duckdb-runtime.js";
import { quoteIdent, quoteLiteral } from "./duckdb-sql.js";

/** One database attached under an alias (`databases: {alias: {...}}`). */
export interface DatabaseConfig {
  /** `postgres` or `sqlite`. */
  type: "postgres" | "sqlite";
  /**
   * Postgres: name of the environment variable holding the libpq connection string or URI
   * (`postgresql://user:password@host:port/db` or `host=... dbname=...`). Default: none, libpq's
   * own variables are used (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`, ...).
   */
  connection_env?: string | null;
  /** SQLite: the database file (relative: from the project root). */
  path?: string | null;
}

const EXTENSION: Record<DatabaseConfig["type"], string> = {
  postgres: "postgres_scanner",
  sqlite: "sqlite_scanner",
};

/** Registers the connection string and its password as secrets. */
export function registerConnectionSecrets(connection: string): void {
  registerSecret(connection);
  const kv = /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(connection);
  if (kv) {
    const v = kv[1]!;
    registerSecret(v);
    if (v.startsWith("'")) registerSecret(v.slice(1, -1));
  }
  try {
    const url = new URL(connection);
    if (url.password) {
      registerSecret(url.password);
      registerSecret(decodeURIComponent(url.password));
    }
    const pw = url.searchParams.get("password");
    if (pw) registerSecret(pw);
  } catch {
    // not a URI
  }
}

/**
 * Loads a DuckDB extension, installing it first when it is missing (and installing is allowed).
 * @throws DataError saying where to put the extension file when it cannot be had.
 */
export async function ensureExtension(session: DuckDBSession, name: string, what: string): Promise<void> {
  try {
    await session.run(`LOAD ${name}`, { what });
    return;
  } catch (first) {
    let cause: unknown = first;
    try {
      await session.run(`INSTALL ${name}`, { what });
      await session.run(`LOAD ${name}`, { what });
      return;
    } catch (e) {
      cause = e;
    }
    const info = await session.run(
      "SELECT library_version, current_setting('extension_directory') AS dir, (SELECT platform FROM pragma_platform()) AS platform FROM pragma_version()",
      { what },
    );
    const [version, dir, platform] = info.getChunk(0).getRows()[0]!.map(String);
    const where = `${dir || "~/.duckdb/extensions"}/${version}/${platform}/${name}.duckdb_extension`;
    throw new DataError({
      message: `${what}: DuckDB's ${name} extension is not installed and could not be installed (${(cause as Error).message.split("\n")[0]}). Run \`INSTALL ${name}\` once where DuckDB can reach its extension repository, or put ${name}.duckdb_extension for DuckDB ${version} (${platform}) at ${where}; \`extension_directory\` (or LOLPOP_DUCKDB_EXTENSION_DIRECTORY) sets the folder.`,
      code: "duckdb_extension_missing",
      details: { extension: name, version, platform },
      cause,
    });
  }
}

/**
 * Attaches each configured database under its alias, read-only.
 * @param resolvePath Resolves a relative SQLite path from the project root.
 */
export async function attachDatabases(
  session: DuckDBSession,
  databases: Record<string, DatabaseConfig>,
  what: string,
  resolvePath: (p: string) => string,
): Promise<void> {
  for (const [alias, db] of Object.entries(databases)) {
    const label = `${what}: database "${alias}"`;
    await ensureExtension(session, EXTENSION[db.type], label);
    let target: string;
    if (db.type === "sqlite") {
      if (!db.path)
        throw new DataError({
          message: `${label}: a sqlite database needs \`path\` (the database file)`,
          code: "config_missing",
        });
      target = resolvePath(db.path);
      if (!existsSync(target))
        throw new DataError({
          message: `${label}: SQLite database file not found: ${target}. Check \`path\` (relative paths resolve from the project root).`,
          code: "file_not_found",
          details: { file: target },
        });
    } else if (db.connection_env) {
      const value = process.env[db.connection_env];
      if (value === undefined || value === "")
        throw new DataError({
          message: `${label}: the environment variable ${db.connection_env} (connection_env) is not set; set it to the Postgres connection string (postgresql://user:password@host:port/dbname)`,
          code: "missing_env",
          details: { variable: db.connection_env },
        });
      registerConnectionSecrets(value);
      target = value;
    } else target = "";
    const sql = `ATTACH ${quoteLiteral(target)} AS ${quoteIdent(alias)} (TYPE ${db.type}, READ_ONLY)`;
    try {
      await session.connection.run(sql);
    } catch (e) {
      // The statement holds the connection string: report only DuckDB's (redacted) reason, and keep
      // the raw exception out of the cause chain.
      const err = session.queryError(e, "ATTACH", { what: label });
      throw new DataError({
        message: `${label}: cannot attach the ${db.type} database: ${err.message.slice(label.length + 2)}${db.type === "postgres" ? ` (connection from ${db.connection_env ? `$${db.connection_env}` : "libpq's PG* environment variables"})` : ""}`,
        code: "database_unreachable",
        details: { database: alias, type: db.type },
      });
    }
  }
}
