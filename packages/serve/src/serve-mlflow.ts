/**
 * The MLflow scoring protocol's request side (`POST /invocations`): content type and charset,
 * then exactly one of `dataframe_split`, `dataframe_records`, `instances`, `inputs` (and optional
 * `params`) in a JSON body, or a CSV body, turned into rows.
 */
import { parseCsvRows } from "./serve-csv.js";
import { ServeError } from "./serve-error.js";
import { describe } from "./serve-predictor.js";

/** The JSON keys that say how the rows are laid out; a request has exactly one. */
export const MLFLOW_FORMAT_KEYS = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;

/** A parsed invocation. */
export interface Invocation {
  rows: Array<Record<string, unknown>>;
  /** `params` of the request (an object); `probabilities: true` asks for class probabilities. */
  params: Record<string, unknown>;
  /** How the rows came: one of {@link MLFLOW_FORMAT_KEYS}, or `csv`. */
  format: (typeof MLFLOW_FORMAT_KEYS)[number] | "csv";
}

/** Media type and charset of a `Content-Type` header (lower case). */
export function parseContentType(header: string | undefined): { type: string; charset?: string } {
  if (!header) return { type: "" };
  const [type, ...params] = header.split(";");
  let charset: string | undefined;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() === "charset")
      charset = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase();
  }
  return { type: type!.trim().toLowerCase(), ...(charset !== undefined ? { charset } : {}) };
}

/** Decodes a body as UTF-8 after checking the content type's charset (415 for another one). */
export function decodeUtf8Body(body: Buffer, charset: string | undefined): string {
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8")
    throw new ServeError({
      message: `charset "${charset}" is not supported: send the body as UTF-8 (Content-Type: ...; charset=utf-8)`,
      code: "unsupported_charset",
      status: 415,
    });
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new ServeError({ message: "the body is not valid UTF-8: send it as UTF-8", code: "bad_encoding" });
  }
}

const bad = (message: string, details?: Record<string, unknown>) =>
  new ServeError({ message, code: "bad_request", ...(details ? { details } : {}) });

/**
 * `NaN` tokens outside strings replaced by `null`: Python's json (MLflow's client, pandas) writes a
 * missing value as `NaN`, which MLflow's server reads as missing. Undefined when there is none.
 */
function nanAsNull(text: string): string | undefined {
  let out = "";
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92)
        i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 78 && text.startsWith("NaN", i)) {
      out += `${text.slice(last, i)}null`;
      last = i + 3;
      i += 2;
    }
  }
  return last === 0 ? undefined : out + text.slice(last);
}

/** Parses JSON text (a bare `NaN` is a missing value, as Python writes it); a syntax error is a 400 saying where. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw bad("the body is empty: send a JSON object");
  try {
    return JSON.parse(text);
  } catch (e) {
    const fixed = nanAsNull(text);
    if (fixed !== undefined)
      try {
        return JSON.parse(fixed);
      } catch {}
    throw bad(`the body is not valid JSON (${(e as Error).message})`);
  }
}

/** Rows from a list that must hold objects. */
function recordRows(key: string, value: unknown[]): Array<Record<string, unknown>> {
  value.forEach((r, i) => {
    if (r === null || typeof r !== "object" || Array.isArray(r))
      throw bad(
        `${key}[${i}] is ${describe(r)}: ${key} must be a list of rows, each an object of column → value`,
        {
          row: i + 1,
        },
      );
  });
  return value as Array<Record<string, unknown>>;
}

/** Rows from an object of column → list of values (all of one length). */
function columnarRows(key: string, value: Record<string, unknown>): Array<Record<string, unknown>> {
  const names = Object.keys(value);
  if (names.length === 0) throw bad(`${key} has no columns`);
  let n = -1;
  for (const name of names) {
    const col = value[name];
    if (!Array.isArray(col))
      throw bad(`${key}.${name} is ${describe(col)}: give each column as a list of values`, { column: name });
    if (n >= 0 && col.length !== n)
      throw bad(
        `${key}.${name} has ${col.length} values, but ${key}.${names[0]} has ${n}: give every column the same number of rows`,
        {
          column: name,
        },
      );
    n = col.length;
  }
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(names.map((name) => [name, (value[name] as unknown[])[i]])),
  );
}

/** The rows of a `dataframe_split` value (`{columns, data, index?}`). */
function splitRows(value: unknown): Array<Record<string, unknown>> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw bad(`dataframe_split is ${describe(value)}: send {"columns": [...], "data": [[...], ...]}`);
  const { columns, data } = value as { columns?: unknown; data?: unknown };
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string"))
    throw bad(`dataframe_split.columns must be a list of column names`);
  if (!Array.isArray(data)) throw bad(`dataframe_split.data must be a list of rows (lists of values)`);
  return data.map((row, i) => {
    if (!Array.isArray(row))
      throw bad(`dataframe_split.data[${i}] is ${describe(row)}: each row is a list of values`, {
        row: i + 1,
      });
    if (row.length !== columns.length)
      throw bad(`dataframe_split.data[${i}] has ${row.length} values for ${columns.length} columns`, {
        row: i + 1,
      });
    return Object.fromEntries((columns as string[]).map((c, j) => [c, row[j]]));
  });
}

/** Parses a `POST /invocations` body (see the module doc). */
export function parseInvocation(contentType: string | undefined, body: Buffer): Invocation {
  const { type, charset } = parseContentType(contentType);
  if (type !== "application/json" && type !== "text/csv")
    throw new ServeError({
      message: `content type "${type || "(none)"}" is not supported: send application/json or text/csv`,
      code: "unsupported_media_type",
      status: 415,
    });
  const text = decodeUtf8Body(body, charset);
  if (type === "text/csv") return { rows: parseCsvRows(text), params: {}, format: "csv" };
  const json = parseJsonBody(text);
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw bad(
      `the body is ${describe(json)}: send a JSON object with exactly one of ${MLFLOW_FORMAT_KEYS.join(", ")}`,
    );
  const obj = json as Record<string, unknown>;
  const keys = MLFLOW_FORMAT_KEYS.filter((k) => k in obj);
  if (keys.length !== 1)
    throw bad(
      keys.length === 0
        ? `the body has none of ${MLFLOW_FORMAT_KEYS.join(", ")}: send the rows under exactly one of them`
        : `the body has ${keys.join(" and ")}: send the rows under exactly one of them`,
    );
  const params = obj.params ?? {};
  if (params === null || typeof params !== "object" || Array.isArray(params))
    throw bad(`params is ${describe(params)}: send an object`);
  const format = keys[0]!;
  const value = obj[format];
  let rows: Array<Record<string, unknown>>;
  if (format === "dataframe_split") rows = splitRows(value);
  else if (Array.isArray(value)) rows = recordRows(format, value);
  else if (format !== "dataframe_records" && value !== null && typeof value === "object")
    rows = columnarRows(format, value as Record<string, unknown>);
  else
    throw bad(
      `${format} is ${describe(value)}: send ${format === "dataframe_records" ? "a list of row objects" : "a list of row objects or an object of column → list"}`,
    );
  return { rows, params: params as Record<string, unknown>, format };
}
