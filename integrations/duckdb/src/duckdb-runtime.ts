/**
 * Loading DuckDB (lazily: importing this package never loads the native module) and running SQL on a
 * private in-memory database, with DuckDB's errors turned into {@link DuckDBQueryError}s that point
 * at the line and column of the SQL and never carry a secret.
 */
import type {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBMaterializedResult,
  DuckDBResult,
  DuckDBValue,
} from "@duckdb/node-api";
import type bindingsModule from "@duckdb/node-bindings";
import { DataError, LolpopError, redactText } from "@lolpop/core";
import { DuckDBQueryError, type SqlPosition } from "./duckdb-query-error.js";

/** The low-level DuckDB bindings (vectors as typed arrays). */
export type DuckDBBindings = typeof bindingsModule;

/** The two DuckDB modules, loaded on first use. */
export interface DuckDBModules {
  api: typeof import("@duckdb/node-api");
  bindings: DuckDBBindings;
}

let modules: Promise<DuckDBModules> | undefined;

/**
 * Imports `@duckdb/node-api` and its bindings once.
 * @throws LolpopError when DuckDB's prebuilt binary for this platform is missing.
 */
export function loadDuckDB(): Promise<DuckDBModules> {
  modules ??= (async () => {
    try {
      const api = await import("@duckdb/node-api");
      const bindings = (await import("@duckdb/node-bindings")).default as DuckDBBindings;
      return { api, bindings };
    } catch (e) {
      modules = undefined;
      throw new LolpopError({
        message: `@lolpop/duckdb could not load DuckDB (@duckdb/node-api) on ${process.platform}-${process.arch}: ${(e as Error).message}. DuckDB ships prebuilt binaries for linux (x64, arm64), macOS and Windows; reinstall the project's dependencies so the one for this platform (@duckdb/node-bindings-${process.platform}-${process.arch}) is installed.`,
        code: "duckdb_unavailable",
        cause: e,
      });
    }
  })();
  return modules;
}

/** Settings of the private DuckDB database each read, write or transform runs on. */
export interface DuckDBSettings {
  /** Worker threads. Default: DuckDB's (one per core). */
  threads?: number | null;
  /** Memory limit, e.g. `4GB`. Default: DuckDB's (80% of RAM). */
  memory_limit?: string | null;
  /**
   * Where DuckDB installs and finds extensions (the postgres and sqlite scanners). Default: the
   * environment variable `LOLPOP_DUCKDB_EXTENSION_DIRECTORY`, else DuckDB's (`~/.duckdb/extensions`).
   */
  extension_directory?: string | null;
  /** Let DuckDB download a missing extension from its repository. Default true. */
  autoinstall_extensions?: boolean;
}

/** One SQL statement's source text and where it came from, for error messages. */
export interface SqlLabel {
  /** Names the statement in errors, e.g. `process.data_connector: query`. */
  what: string;
  /**
   * When the statement wraps user SQL: the user's text and the line of the statement it starts on
   * (1-based), so positions are reported in the user's text.
   */
  user?: { sql: string; firstLine: number };
}

/** A private in-memory DuckDB database with one connection. Close it when done. */
export class DuckDBSession {
  private constructor(
    readonly modules: DuckDBModules,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** Opens an in-memory database with `settings` (UTC time zone). */
  static async open(settings: DuckDBSettings = {}): Promise<DuckDBSession> {
    const mods = await loadDuckDB();
    const options: Record<string, string> = {
      autoinstall_known_extensions: String(settings.autoinstall_extensions ?? true),
      autoload_known_extensions: "true",
    };
    if (settings.threads) options.threads = String(settings.threads);
    if (settings.memory_limit) options.memory_limit = settings.memory_limit;
    const extDir = settings.extension_directory ?? process.env.LOLPOP_DUCKDB_EXTENSION_DIRECTORY;
    if (extDir) options.extension_directory = extDir;
    let instance: DuckDBInstance;
    try {
      instance = await mods.api.DuckDBInstance.create(":memory:", options);
    } catch (e) {
      throw new DataError({
        message: `DuckDB refused its settings: ${redactText((e as Error).message)}. Check threads, memory_limit and extension_directory.`,
        code: "duckdb_settings",
        cause: e,
      });
    }
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    return new DuckDBSession(mods, instance, connection);
  }

  /** The low-level bindings. */
  get bindings(): DuckDBBindings {
    return this.modules.bindings;
  }

  /**
   * Runs one statement with named parameters (`$name` in the SQL), materializing the result.
   * @throws DuckDBQueryError with the position in the SQL when DuckDB reports one.
   */
  async run(
    sql: string,
    label: SqlLabel,
    params?: Record<string, DuckDBValue>,
  ): Promise<DuckDBMaterializedResult> {
    try {
      if (params && Object.keys(params).length > 0) return await this.connection.run(sql, params);
      return await this.connection.run(sql);
    } catch (e) {
      throw queryError(e, sql, label);
    }
  }

  /**
   * Like {@link run} but streams the result: chunks are fetched one by one with `fetchChunk()`.
   * Errors that happen while fetching are DuckDB exceptions; wrap them with {@link queryError}.
   */
  async stream(sql: string, label: SqlLabel, params?: Record<string, DuckDBValue>): Promise<DuckDBResult> {
    try {
      if (params && Object.keys(params).length > 0) return await this.connection.stream(sql, params);
      return await this.connection.stream(sql);
    } catch (e) {
      throw queryError(e, sql, label);
    }
  }

  /** Wraps a DuckDB exception thrown for `sql` (see {@link queryError}). */
  queryError(e: unknown, sql: string, label: SqlLabel): DuckDBQueryError {
    return queryError(e, sql, label);
  }

  /** Closes the connection and the database. */
  close(): void {
    try {
      this.connection.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}

/** Opens a session, runs `fn`, and closes the session whatever happens. */
export async function withDuckDB<T>(
  settings: DuckDBSettings,
  fn: (s: DuckDBSession) => Promise<T>,
): Promise<T> {
  const session = await DuckDBSession.open(settings);
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}

const LINE_RE = /\n\s*LINE (\d+): ?(.*)\n( *)\^/;

/** Finds DuckDB's `LINE n: ...` + caret in `message` and maps it to a line and column of `sql`. */
export function sqlPosition(message: string, sql: string): SqlPosition | undefined {
  const m = LINE_RE.exec(message);
  if (!m) return undefined;
  const line = Number(m[1]);
  const prefix = `LINE ${m[1]}: `.length;
  const snippet = m[2] ?? "";
  const caret = (m[3] ?? "").length - prefix;
  const lines = sql.split("\n");
  const text = lines[line - 1];
  if (text === undefined || caret < 0) return undefined;
  // DuckDB shows a window of long lines, marked with "..." at either end.
  const lead = snippet.startsWith("...") ? 3 : 0;
  const core = snippet.slice(lead).replace(/\.\.\.$/, "");
  const at = core.length > 0 ? text.indexOf(core) : 0;
  const column = Math.max(at, 0) + (caret - lead) + 1;
  return { line, column: Math.max(1, Math.min(column, text.length + 1)) };
}

/** Turns a DuckDB exception into a {@link DuckDBQueryError} (message redacted, position mapped to the user's SQL). */
export function queryError(e: unknown, sql: string, label: SqlLabel): DuckDBQueryError {
  // (DuckDB's errors come from the main realm: under jest `instanceof Error` is false for them)
  const m = (e as { message?: unknown } | null)?.message;
  const raw = redactText(typeof m === "string" ? m : String(e));
  const first = raw.split("\n")[0]!.trim();
  let position = sqlPosition(raw, sql);
  let text = sql;
  if (position && label.user) {
    const userLine = position.line - label.user.firstLine + 1;
    const userLines = label.user.sql.split("\n");
    if (userLine >= 1 && userLine <= userLines.length) {
      position = { line: userLine, column: position.column };
      text = label.user.sql;
    } else position = undefined;
  }
  let where = "";
  if (position) {
    const lineText = text.split("\n")[position.line - 1] ?? "";
    where = ` (SQL line ${position.line}, column ${position.column})\n  ${lineText}\n  ${" ".repeat(position.column - 1)}^`;
  }
  const detail = raw
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "" && !/^\s*LINE \d+:/.test(l) && !/^\s*\^\s*$/.test(l))
    .slice(0, 6)
    .join("\n  ");
  const kind = /^([A-Za-z ]+) Error:/.exec(first)?.[1]?.toLowerCase().replaceAll(" ", "_");
  return new DuckDBQueryError({
    message: `${label.what}: ${first}${where}${detail && !position ? `\n  ${detail}` : ""}`,
    sql: redactText(label.user?.sql ?? sql),
    ...(position ? { position } : {}),
    code: kind ? `sql_${kind}` : "sql_error",
    cause: e,
  });
}
