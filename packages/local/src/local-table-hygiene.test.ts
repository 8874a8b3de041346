import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, DataError, instantiateComponent, type LogRecord } from "@lolpop/core";
import { type LocalDataConnector, localDataConnector } from "./local-data-connector.js";
import type { DataWarning } from "./local-table-hygiene.js";
import { readTable } from "./local-table-reader.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-hygiene-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function read(p: string, options: Parameters<typeof readTable>[1] = {}) {
  const warnings: DataWarning[] = [];
  const table = await readTable(p, { ...options, onWarning: (w) => warnings.push(w) });
  return { table, warnings };
}

/** A latin-1 file: "Zürich" is 0x5A 0xFC 0x72 ... (0xFC alone is invalid UTF-8). */
const latin1 = Buffer.concat([
  Buffer.from("id,city,temp\n1,Paris,3.5\n2,", "latin1"),
  Buffer.from("Zürich", "latin1"),
  Buffer.from(",1.25\n3,Lyon,7\n", "latin1"),
]);

describe("encoding", () => {
  test("invalid UTF-8 under the default encoding is an error naming the file and line", async () => {
    const p = file("latin1.csv", latin1);
    const err = await readTable(p).catch((e: unknown) => e);
    expect(DataError.isInstance(err)).toBe(true);
    const e = err as DataError;
    expect(e.code).toBe("invalid_encoding");
    expect(e.message).toContain(`${p}: line 3 is not valid UTF-8 (byte 0xFC)`);
    expect(e.message).toContain("set `encoding`");
    expect(e.details).toMatchObject({ file: p, line: 3, encoding: "utf-8" });
  });

  test("encoding: latin1 and windows-1252 read the text as written", async () => {
    const p = file("latin1.csv", latin1);
    expect((await readTable(p, { encoding: "latin1" })).values("city")).toEqual(["Paris", "Zürich", "Lyon"]);
    const cp = file("cp.csv", Buffer.from([...Buffer.from("a,b\n1,"), 0x80, ...Buffer.from("5\n2,x\n")]));
    expect((await readTable(cp, { encoding: "windows-1252" })).values("b")).toEqual(["€5", "x"]);
  });

  test("JSON and JSON Lines: invalid UTF-8 is an error naming the line; latin1 reads", async () => {
    const jl = file(
      "a.jsonl",
      Buffer.concat([Buffer.from('{"c":"a"}\n{"c":"'), Buffer.from([0xe9]), Buffer.from('"}\n')]),
    );
    const err = (await readTable(jl).catch((e: unknown) => e)) as DataError;
    expect(err.code).toBe("invalid_encoding");
    expect(err.message).toContain("line 2 is not valid UTF-8");
    expect((await readTable(jl, { encoding: "latin1" })).values("c")).toEqual(["a", "é"]);
  });

  test("the connector's encoding option is validated and used", async () => {
    const p = file("latin1.csv", latin1);
    const c = (await instantiateComponent(localDataConnector, {
      config: { path: p, encoding: "latin1" },
    })) as LocalDataConnector;
    expect((await c.get_data()).values("city")).toContain("Zürich");
    await expect(
      instantiateComponent(localDataConnector, { config: { path: p, encoding: "ebcdic" } }),
    ).rejects.toThrow(/encoding/);
  });
});

describe("stray tokens in a numeric column", () => {
  test("warns with the tokens, their lines and a na_values suggestion", async () => {
    const rows = Array.from({ length: 30 }, (_, i) =>
      i === 4 || i === 17 ? "T" : i === 9 ? "M" : String(i / 10),
    );
    const p = file("rain.csv", `day,rain\n${rows.map((r, i) => `${i % 7},${r}`).join("\n")}\n`);
    const { table, warnings } = await read(p);
    expect(table.column("rain").type).toBe("categorical"); // read as before: the warning says why
    const w = warnings.filter((x) => x.code === "stray_tokens");
    expect(w).toHaveLength(1);
    expect(w[0]!.column).toBe("rain");
    expect(w[0]!.message).toContain('"T" (2 rows: lines 6, 19)');
    expect(w[0]!.message).toContain('"M" (1 row: line 11)');
    expect(w[0]!.message).toContain("na_values");
    expect(w[0]!.details.tokens).toEqual([
      { token: "T", rows: 2, lines: [6, 19] },
      { token: "M", rows: 1, lines: [11] },
    ]);
    // with the suggested na_values the column is numeric and nothing is reported
    const again = await read(p, { na_values: ["", "NA", "T", "M"] });
    expect(again.table.column("rain").type).toBe("numeric");
    expect(again.warnings.filter((x) => x.code === "stray_tokens")).toEqual([]);
  });

  test("a text column or a forced type is not reported", async () => {
    const p = file("t.csv", "v,w\na,1\nb,T\nc,2\n3,3\n");
    const { warnings } = await read(p, { columns: { w: "categorical" } });
    expect(warnings).toEqual([]);
  });
});

describe("date-like and ID-like columns", () => {
  const n = 40;
  const dates = Array.from({ length: n }, (_, i) => `2024-01-${String((i % 28) + 1).padStart(2, "0")}`);
  const csv = `day,customer,order_id,amount\n${dates
    .map((d, i) => `${d},C${(i * 7919) % 1000}-${i},${1000 + i},${(i % 5) + 0.5}`)
    .join("\n")}\n`;

  test("an ISO date column and unique-per-row columns are warned about", async () => {
    const { warnings } = await read(file("orders.csv", csv));
    const byColumn = Object.fromEntries(warnings.map((w) => [w.column, w]));
    expect(byColumn.day?.code).toBe("date_like");
    expect(byColumn.day?.message).toContain('holds dates (e.g. "2024-01-01")');
    expect(byColumn.day?.message).toContain("index: day");
    expect(byColumn.customer?.code).toBe("id_like");
    expect(byColumn.order_id?.code).toBe("id_like");
    expect(byColumn.amount).toBeUndefined();
  });

  test("the connector logs them, except for the runner's index and target columns", async () => {
    const p = file("orders.csv", csv);
    const lines: LogRecord[] = [];
    const logger = createLogger({
      level: "warn",
      stream: { write: () => undefined },
      sinks: [(l) => lines.push(l)],
    });
    const c = (await instantiateComponent(localDataConnector, {
      config: { path: p },
      inherited: { index: "order_id" },
      logger,
    })) as LocalDataConnector;
    await c.get_data();
    const codes = lines.map((l) => [l.code, l.column] as const);
    expect(codes).toContainEqual(["date_like", "day"]);
    expect(codes).toContainEqual(["id_like", "customer"]);
    expect(codes.some(([, col]) => col === "order_id")).toBe(false);
  });
});
