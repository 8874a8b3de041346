import { DataError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.DuckDBQueryError");

/** Where in the SQL text DuckDB located an error (1-based line and column). */
export interface SqlPosition {
  line: number;
  column: number;
}

/**
 * DuckDB refused or failed a SQL statement: a syntax or binder error, an unknown table or column, a
 * failed cast. The message names the component, repeats DuckDB's first line and, when DuckDB gives a
 * position, the line and column in the SQL text with that line and a caret. A {@link DataError}, so
 * `DataError.isInstance(e)` is true too.
 */
export class DuckDBQueryError extends DataError {
  private readonly [MARKER] = true;
  /** The SQL that failed (secrets already redacted). */
  readonly sql: string;
  /** Line and column of the error in {@link sql}, when DuckDB reports one. */
  readonly position: SqlPosition | undefined;

  constructor(opts: {
    message: string;
    sql: string;
    position?: SqlPosition;
    code?: string;
    details?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super({
      message: opts.message,
      code: opts.code ?? "sql_error",
      details: {
        ...(opts.position ? { line: opts.position.line, column: opts.position.column } : {}),
        ...opts.details,
      },
      cause: opts.cause,
    });
    this.name = "DuckDBQueryError";
    this.sql = opts.sql;
    this.position = opts.position;
  }

  /** True for a {@link DuckDBQueryError} from any copy of this package. */
  static override isInstance(error: unknown): error is DuckDBQueryError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
