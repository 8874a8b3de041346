import { Table } from "./table.js";
import { tableChunks, tableFromBytes, tableToBytes } from "./table-bytes.js";

describe("tableToBytes / tableFromBytes", () => {
  const table = Table.fromColumns(
    {
      id: [1, 2, 3, 4],
      name: ["a", null, "ü ✓", "a"],
      flag: [true, false, null, true],
      x: [0.1, Number.NaN, -0, 1e300],
    },
    { roles: { id: "index", name: "target" } },
  );

  it("gives back the same table: values, types, roles, fingerprint", () => {
    const back = tableFromBytes(tableToBytes(table));
    expect(back.fingerprint()).toBe(table.fingerprint());
    expect(back.schema).toEqual(table.schema);
    expect(back.toRows()).toEqual(table.toRows());
    expect(Object.is((back.column("x") as { values: Float64Array }).values[2], -0)).toBe(true);
  });

  it("reads the bytes from a Buffer (a file read, a pooled base64 decode) and from a view at an offset", () => {
    const bytes = tableToBytes(table);
    // Node's Buffer#slice is a view, not a copy: reading columns through it once gave other bytes.
    const pooled = Buffer.from(Buffer.from(bytes).toString("base64"), "base64");
    const file = Buffer.concat([Buffer.alloc(13, 7), Buffer.from(bytes)]).subarray(13);
    for (const b of [pooled, file, Buffer.from(bytes)]) {
      const back = tableFromBytes(b);
      expect(back.fingerprint()).toBe(table.fingerprint());
      expect(back.toRows()).toEqual(table.toRows());
    }
  });

  it("gives the same bytes in pieces, each column a view on the table's own memory, padded to 8 bytes", () => {
    // Three rows: the categorical column's codes are 12 bytes, so a 4-byte padding piece follows.
    const three = table.take([0, 1, 2]);
    const chunks = tableChunks(three);
    expect(Buffer.concat(chunks).equals(Buffer.from(tableToBytes(three)))).toBe(true);
    const x = three.column("x") as { values: Float64Array };
    const codes = (three.column("name") as { codes: Int32Array }).codes;
    const viewOf = (a: Float64Array | Int32Array) =>
      chunks.find(
        (c) => c.buffer === a.buffer && c.byteOffset === a.byteOffset && c.byteLength === a.byteLength,
      );
    expect(viewOf(x.values)).toBeDefined();
    expect(viewOf(codes)).toBeDefined();
    expect(chunks[chunks.indexOf(viewOf(codes)!) + 1]).toEqual(new Uint8Array(4));
    let at = 0;
    for (const c of chunks) {
      if (c === viewOf(x.values)) expect(at % 8).toBe(0);
      at += c.byteLength;
    }
    expect(at % 8).toBe(0);
    expect(tableFromBytes(Buffer.concat(chunks)).fingerprint()).toBe(three.fingerprint());
  });

  it("keeps an empty table and a table of zero rows", () => {
    expect(tableFromBytes(tableToBytes(Table.empty())).numColumns).toBe(0);
    const none = table.take([]);
    const back = tableFromBytes(tableToBytes(none));
    expect(back.numRows).toBe(0);
    expect(back.schema).toEqual(none.schema);
  });

  it("refuses bytes that are not a table, or a truncated one, naming them", () => {
    expect(() => tableFromBytes(new Uint8Array([1, 2, 3]), "blob abc")).toThrow(
      /blob abc are not a lolpop table/,
    );
    const bytes = tableToBytes(table);
    expect(() => tableFromBytes(bytes.subarray(0, bytes.byteLength - 9))).toThrow(/truncated/);
  });
});
