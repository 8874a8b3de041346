import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataError, type Table } from "@lolpop/core";
import { readTable } from "./local-table-reader.js";

// Files above 12 MB are cut at line ends and parsed on worker threads (LOLPOP_CSV_THREADS=0: on the
// calling thread). These tests compare both ways on files whose rows cross the cut points.

let dir: string;
const savedThreads = process.env.LOLPOP_CSV_THREADS;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-reader-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedThreads === undefined) delete process.env.LOLPOP_CSV_THREADS;
  else process.env.LOLPOP_CSV_THREADS = savedThreads;
});

async function readWith(threads: string, path: string): Promise<Table> {
  process.env.LOLPOP_CSV_THREADS = threads;
  return readTable(path);
}

/** Same bytes (jest's toEqual on 400k-element typed arrays takes minutes). */
function sameArray(a: Float64Array | Int32Array, b: Float64Array | Int32Array): boolean {
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!DataError.isInstance(e)) throw new Error(`expected a DataError, got ${String(e)}`);
  return e;
}

/** ~16 MB: numbers, integers, a text column whose late rows hold a quoted field with a line break and "". */
function bigCsv(rows: number, line: (i: number) => string | undefined = () => undefined): string {
  const parts = ["id,x,y,label,note"];
  for (let i = 0; i < rows; i++) {
    const special = line(i);
    if (special !== undefined) {
      parts.push(special);
      continue;
    }
    const note = i % 9973 === 0 ? `"multi\nline, ""quoted"" ${i}"` : `n${i % 50}`;
    parts.push(`${i},${((i * 7919) % 10007) / 101},${i % 13},${i % 3 === 0 ? "yes" : "no"},${note}`);
  }
  return `${parts.join("\n")}\n`;
}

describe("CSV on worker threads", () => {
  test("gives the same table as one thread, also for quoted line breaks across range cuts", async () => {
    const p = join(dir, "big.csv");
    writeFileSync(p, bigCsv(400_000));
    const one = await readWith("0", p);
    const many = await readWith("2", p);
    expect(many.numRows).toBe(400_000);
    expect(many.schema).toEqual(one.schema);
    for (const name of ["id", "x", "y"]) expect(sameArray(many.numeric(name), one.numeric(name))).toBe(true);
    for (const name of ["label", "note"]) {
      expect(many.categorical(name).dictionary).toEqual(one.categorical(name).dictionary);
      expect(sameArray(many.categorical(name).codes, one.categorical(name).codes)).toBe(true);
    }
    expect(many.values("note")[9973]).toBe('multi\nline, "quoted" 9973');
    expect(many.numeric("x")[12345]).toBe(((12345 * 7919) % 10007) / 101);
  }, 120_000);

  test("a column that turns to text in a late range keeps the earlier numbers' text", async () => {
    const p = join(dir, "late.csv");
    writeFileSync(
      p,
      bigCsv(400_000, (i) => (i === 390_000 ? "390000,oops,0,no,n0" : undefined)),
    );
    const t = await readWith("2", p);
    const x = t.categorical("x");
    expect(t.values("x")[390_000]).toBe("oops");
    expect(t.values("x")[1]).toBe(String(7919 / 101));
    expect(x.dictionary.length).toBeGreaterThan(1000);
  }, 120_000);

  test("a ragged row or invalid UTF-8 in a late range names its file line", async () => {
    const ragged = join(dir, "ragged.csv");
    writeFileSync(
      ragged,
      bigCsv(400_000, (i) => (i === 350_000 ? "1,2" : undefined)),
    );
    // each quoted line break before row 350000 adds a line: rows 0, 9973, ... 349055 (36 of them)
    const extra = Math.floor(349_999 / 9973) + 1;
    const e = await dataError(readWith("2", ragged));
    expect(e.code).toBe("ragged_row");
    expect(e.message).toContain(`line ${350_002 + extra} has 2 fields, expected 5`);
    const single = await dataError(readWith("0", ragged));
    expect(single.message).toBe(e.message);

    const bad = join(dir, "bad.csv");
    const text = bigCsv(400_000, (i) => (i === 300_000 ? "300000,1,2,yes,Z\u00fcrich" : undefined));
    const bytes = Buffer.from(text, "utf8");
    const at = bytes.indexOf(Buffer.from("Z\u00fcrich", "utf8"));
    const latin = Buffer.concat([bytes.subarray(0, at + 1), Buffer.from([0xfc]), bytes.subarray(at + 3)]);
    writeFileSync(bad, latin);
    const enc = await dataError(readWith("2", bad));
    expect(enc.code).toBe("invalid_encoding");
    expect(enc.message).toContain(
      `line ${300_002 + Math.floor(299_999 / 9973) + 1} is not valid UTF-8 (byte 0xFC)`,
    );
  }, 180_000);
});
