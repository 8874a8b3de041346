/** Types of test-fixtures/postgres-server.mjs (a throwaway PostgreSQL cluster on 127.0.0.1). */

/** Folder of the newest installed PostgreSQL server binaries. */
export function postgresBin(): string;

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number>;

/** A running cluster. */
export interface TestPostgres {
  /** `postgresql://user:password@127.0.0.1:port/database`. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  dir: string;
  /** The server's output. */
  log(): string;
  /** Runs SQL with psql; returns its unaligned output. */
  psql(sql: string): string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Starts a cluster with one database and a password user. */
export function startPostgres(): Promise<TestPostgres>;
