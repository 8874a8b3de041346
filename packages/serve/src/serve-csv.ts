/**
 * The `text/csv` body of `POST /invocations`: a header line, then one row per line (RFC 4180
 * quoting: `"a ""b"", c"`). Cells stay text (an empty cell is missing); the bundle's input schema
 * types them, the same rule as the training connector's.
 */
import { ServeError } from "./serve-error.js";

/** Parses CSV text into rows of column → text (null for an empty cell). */
export function parseCsvRows(text: string): Array<Record<string, string | null>> {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let wasQuoted = false;
  let line = 1;
  const endCell = () => {
    row.push(cell);
    cell = "";
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (cell.length > 0 || wasQuoted)
        throw new ServeError({
          message: `the CSV body, line ${line}: a quote inside an unquoted cell; quote the whole cell ("...") and double inner quotes`,
          code: "bad_csv",
        });
      quoted = true;
      wasQuoted = true;
    } else if (ch === ",") endCell();
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endCell();
      if (!(row.length === 1 && row[0] === "")) records.push(row);
      row = [];
      line++;
    } else cell += ch;
  }
  if (quoted)
    throw new ServeError({
      message: `the CSV body ends inside a quoted cell (opened before line ${line})`,
      code: "bad_csv",
    });
  if (cell.length > 0 || wasQuoted || row.length > 0) {
    endCell();
    records.push(row);
  }
  const [header, ...body] = records;
  if (!header || header.length === 0 || header.every((h) => h === ""))
    throw new ServeError({
      message: "the CSV body has no header line: start it with the column names",
      code: "bad_csv",
    });
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h))
      throw new ServeError({ message: `the CSV header names column "${h}" twice`, code: "bad_csv" });
    seen.add(h);
  }
  return body.map((cells, r) => {
    if (cells.length !== header.length)
      throw new ServeError({
        message: `the CSV body, row ${r + 1}: ${cells.length} cells, but the header has ${header.length} columns`,
        code: "bad_csv",
        details: { row: r + 1 },
      });
    const out: Record<string, string | null> = {};
    header.forEach((h, j) => {
      const v = cells[j]!;
      out[h] = v === "" ? null : v;
    });
    return out;
  });
}
