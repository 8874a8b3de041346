/**
 * Data hygiene of the table reader: columns whose inferred type is probably not what the user
 * meant, reported as warnings (the data is read as before; the warning says how to state the
 * intent). A column with a forced type (`columns` option) is never reported.
 *
 * - `stray_tokens`: a column of numbers with a few distinct non-numeric values (`T` for "trace")
 *   is read as text, so it would be one-hot encoded; the warning lists the tokens and their lines
 *   and suggests `na_values`.
 * - `date_like`: every value is an ISO 8601 date or date-time, read as text (one category per
 *   date); the warning suggests `index:` or `columns: {name: datetime}`.
 * - `id_like`: a different value on every row (text, or integers that count up or down or are a
 *   shuffled range), which cannot generalize as a feature; the warning suggests `index:`.
 */
import type { Table } from "@lolpop/core";
import { parseDecimal } from "./local-table-csv.js";
import type { ForcedColumnType } from "./local-table-format.js";

/** A warning about how a column was read. */
export interface DataWarning {
  code: "stray_tokens" | "date_like" | "id_like";
  /** The column's name. */
  column: string;
  message: string;
  details: Record<string, unknown>;
}

/** At most this many distinct non-numeric values make "stray tokens" (more: a text column). */
const MAX_STRAY_TOKENS = 5;
/** Lines listed per stray token. */
const LINES_PER_TOKEN = 3;
/** Rows below which a unique-per-row column is not reported. */
const MIN_ID_ROWS = 20;

const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Warnings about the columns of a table read from `file`. `linesOf(rows)` gives the file lines of
 * data rows (sorted, 0-based); `na` is the missing-value list in effect.
 */
export function dataWarnings(
  table: Table,
  file: string,
  forced: Readonly<Record<string, ForcedColumnType>>,
  na: readonly string[],
  linesOf: (rows: number[]) => number[],
): DataWarning[] {
  const out: DataWarning[] = [];
  const n = table.numRows;
  for (const name of table.columnNames) {
    if (forced[name]) continue;
    const col = table.column(name);
    if (col.type === "categorical") {
      const stray = strayTokens(col.codes, col.dictionary);
      if (stray) {
        const rows = stray.tokens.flatMap((t) => t.rows).sort((a, b) => a - b);
        const lines = linesOf(rows);
        const lineOf = new Map(rows.map((r, i) => [r, lines[i]!]));
        const listed = stray.tokens.map((t) => {
          const ls = t.rows.map((r) => lineOf.get(r)!);
          const more = t.count - ls.length;
          return `"${t.token}" (${plural(t.count, "row")}: line${ls.length === 1 ? "" : "s"} ${ls.join(", ")}${more > 0 ? ` and ${more.toLocaleString("en")} more` : ""})`;
        });
        const suggested = JSON.stringify([...na, ...stray.tokens.map((t) => t.token)]);
        out.push({
          code: "stray_tokens",
          column: name,
          message:
            `${file}: column "${name}" holds numbers (${plural(stray.numericRows, "row")}) and ${stray.tokens.length === 1 ? "a non-numeric value" : `${stray.tokens.length} non-numeric values`}: ${listed.join(", ")}, so it is read as text (a categorical feature, one-hot encoded). ` +
            `If ${stray.tokens.length === 1 ? "it means" : "they mean"} "missing", add ${stray.tokens.length === 1 ? "it" : "them"} to na_values (the list replaces the default one: na_values: ${suggested}); ` +
            `to keep the column as text, set columns: {${name}: categorical}.`,
          details: {
            file,
            column: name,
            tokens: stray.tokens.map((t) => ({
              token: t.token,
              rows: t.count,
              lines: t.rows.map((r) => lineOf.get(r)!),
            })),
          },
        });
        continue;
      }
      const example = dateLike(col.dictionary);
      if (example !== undefined) {
        out.push({
          code: "date_like",
          column: name,
          message:
            `${file}: column "${name}" holds dates (e.g. "${example}") and is read as text: as a feature it becomes one category per date (${plural(col.dictionary.length, "distinct value")}). ` +
            `If it identifies rows or time, name it in the runner's config (index: ${name}); to read it as a date (epoch milliseconds), set columns: {${name}: datetime}; or drop it in a transform.`,
          details: { file, column: name, example, distinct: col.dictionary.length },
        });
        continue;
      }
      if (n >= MIN_ID_ROWS && col.dictionary.length === n && !col.codes.includes(-1)) {
        out.push(idWarning(file, name, n));
      }
    } else if (col.logical === "float" && n >= MIN_ID_ROWS && integerIds(col.values)) {
      out.push(idWarning(file, name, n));
    }
  }
  return out;
}

function idWarning(file: string, name: string, n: number): DataWarning {
  return {
    code: "id_like",
    column: name,
    message:
      `${file}: column "${name}" has a different value on every row (${plural(n, "row")}), like an ID: as a feature it cannot generalize. ` +
      `Name it as the index in the runner's config (index: ${name}), drop it in a transform, or set columns: {${name}: categorical} if it is meant as a feature.`,
    details: { file, column: name, rows: n },
  };
}

/** A column of numbers with a few stray non-numeric values: the tokens, their first rows and counts. */
function strayTokens(
  codes: Int32Array,
  dict: readonly string[],
): { tokens: Array<{ token: string; count: number; rows: number[] }>; numericRows: number } | undefined {
  const tokenOf = new Int32Array(dict.length).fill(-1);
  const tokens: Array<{ token: string; count: number; rows: number[] }> = [];
  let numericEntries = 0;
  for (let k = 0; k < dict.length; k++) {
    if (!Number.isNaN(parseDecimal(dict[k]!))) numericEntries++;
    else {
      if (tokens.length === MAX_STRAY_TOKENS) return undefined;
      tokenOf[k] = tokens.length;
      tokens.push({ token: dict[k]!, count: 0, rows: [] });
    }
  }
  if (numericEntries === 0 || tokens.length === 0) return undefined;
  let numericRows = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < 0) continue;
    const t = tokenOf[c]!;
    if (t < 0) numericRows++;
    else {
      const tok = tokens[t]!;
      tok.count++;
      if (tok.rows.length < LINES_PER_TOKEN) tok.rows.push(i);
    }
  }
  const tokenRows = tokens.reduce((a, t) => a + t.count, 0);
  return numericRows > tokenRows ? { tokens, numericRows } : undefined;
}

/** An example value when every value is an ISO 8601 date or date-time (at least two distinct). */
function dateLike(dict: readonly string[]): string | undefined {
  if (dict.length < 2) return undefined;
  for (const v of dict) if (!ISO_DATE_RE.test(v) || Number.isNaN(Date.parse(v))) return undefined;
  return dict[0];
}

/** Integers, none missing, all different, counting up or down or a shuffled contiguous range. */
function integerIds(values: Float64Array): boolean {
  const n = values.length;
  let up = true;
  let down = true;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) return false;
    if (i > 0) {
      const prev = values[i - 1]!;
      if (v <= prev) up = false;
      if (v >= prev) down = false;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (up || down) return true;
  if (max - min + 1 !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = values[i]! - min;
    if (seen[k]) return false;
    seen[k] = 1;
  }
  return true;
}
