/** Types of test-fixtures/wide-data.mjs (seeded 22-column CSV for the benchmark and parity tests). */

/** Column names, in file order. */
export const WIDE_COLUMNS: string[];

/** Writes `rows` rows to `path` with `seed`; resolves when the file is closed. */
export function writeWideCsv(path: string, rows: number, seed?: number): Promise<void>;
