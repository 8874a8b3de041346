import {
  asCategorical,
  categoricalColumn,
  categoricalFromText,
  DataError,
  numericColumn,
  Table,
} from "./index.js";

describe("Table", () => {
  const t = Table.fromColumns(
    { id: [1, 2, 3, 4], x: [0.5, Number.NaN, 2.5, 4], c: ["a", null, "b", "a"] },
    { roles: { id: "index" } },
  );

  it("infers column types and keeps missing values", () => {
    expect(t.numRows).toBe(4);
    expect(t.schema).toEqual([
      { name: "id", type: "numeric", logical: "float", role: "index" },
      { name: "x", type: "numeric", logical: "float", role: "feature" },
      { name: "c", type: "categorical", role: "feature" },
    ]);
    expect(Number.isNaN(t.get(1, "x") as number)).toBe(true);
    expect(t.get(1, "c")).toBeNull();
    expect(t.categorical("c").dictionary).toEqual(["a", "b"]);
    expect(Array.from(t.categorical("c").codes)).toEqual([0, -1, 1, 0]);
  });

  it("selects, drops, renames and filters without touching the original", () => {
    const f = t.filter([1, 0, 1, 0]);
    expect(f.values("id")).toEqual([1, 3]);
    expect(t.numRows).toBe(4);
    expect(t.select(["c", "id"]).columnNames).toEqual(["c", "id"]);
    expect(t.drop(["x"]).columnNames).toEqual(["id", "c"]);
    expect(t.rename({ x: "y" }).columnNames).toEqual(["id", "y", "c"]);
    expect(t.withRoles({ c: "target" }).columnsWithRole("target")).toEqual(["c"]);
    expect(t.role("c")).toBe("feature");
    expect(Object.isFrozen(t)).toBe(true);
  });

  it("errors name the missing column and the available ones", () => {
    expect(() => t.column("nope")).toThrow(/no column "nope" \(columns: id, x, c\)/);
    expect(() => t.numeric("c")).toThrow(DataError);
    expect(() => t.filter([1, 0])).toThrow(/mask has 2 entries, the table has 4 rows/);
    expect(() => Table.fromColumns({ a: [1, 2], b: [1] })).toThrow(/column "b" has 1 rows, expected 2/);
  });

  it("fingerprints content, not identity or dictionary order", () => {
    const a = Table.fromColumns({
      c: categoricalColumn(["x", "y", "x"]),
      n: numericColumn([1, Number.NaN, 3]),
    });
    const b = Table.fromColumns({
      c: categoricalColumn(["x", "y", "x"]),
      n: numericColumn([1, Number.NaN, 3]),
    });
    expect(a.fingerprint()).toBe(b.fingerprint());
    expect(a.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    const other = Table.fromColumns({
      c: categoricalColumn(["x", "y", "y"]),
      n: numericColumn([1, Number.NaN, 3]),
    });
    expect(other.fingerprint()).not.toBe(a.fingerprint());
    expect(a.withRoles({ n: "target" }).fingerprint()).not.toBe(a.fingerprint());
    // Same values, different dictionary order.
    const reordered = Table.fromColumns({
      c: { type: "categorical", codes: Int32Array.from([1, 0, 1]), dictionary: ["y", "x"] },
      n: numericColumn([1, Number.NaN, 3]),
    });
    expect(reordered.fingerprint()).toBe(a.fingerprint());
  });

  it("concatenates rows, merging dictionaries", () => {
    const a = Table.fromColumns({ c: ["x", "y"], n: [1, 2] });
    const b = Table.fromColumns({ c: ["z", "x"], n: [3, 4] });
    const all = Table.concat([a, b]);
    expect(all.toRows()).toEqual([
      { c: "x", n: 1 },
      { c: "y", n: 2 },
      { c: "z", n: 3 },
      { c: "x", n: 4 },
    ]);
  });

  it("builds from rows and takes rows by index", () => {
    const r = Table.fromRows([{ a: 1, b: "u" }, { a: 2 }, { b: "v", a: true }]);
    expect(r.columnNames).toEqual(["a", "b"]);
    expect(r.values("b")).toEqual(["u", null, "v"]);
    expect(r.take([2, 0]).values("a")).toEqual([1, 1]);
    expect(() => r.take([5])).toThrow(RangeError);
  });
});

describe("asCategorical", () => {
  it("keeps a categorical column and turns numbers into their text by logical type", () => {
    const cat = categoricalColumn(["a", null]);
    expect(asCategorical(cat)).toBe(cat);
    expect(asCategorical(numericColumn([2, Number.NaN, 0.5, 2]))).toEqual({
      type: "categorical",
      codes: Int32Array.from([0, -1, 1, 0]),
      dictionary: ["2", "0.5"],
    });
    expect(asCategorical(numericColumn([1, 0, 1], "bool")).dictionary).toEqual(["true", "false"]);
    expect(asCategorical(numericColumn([Date.UTC(2024, 0, 2)], "datetime")).dictionary).toEqual([
      "2024-01-02T00:00:00.000Z",
    ]);
  });
});

describe("categoricalFromText", () => {
  it("builds codes and a first-seen dictionary from each row's text, undefined as missing", () => {
    const text = ["b", undefined, "a", "b"];
    expect(categoricalFromText(4, (i) => text[i])).toEqual({
      type: "categorical",
      codes: Int32Array.from([0, -1, 1, 0]),
      dictionary: ["b", "a"],
    });
    expect(categoricalColumn(["b", null, "a", "b", "", Number.NaN, 1])).toEqual({
      type: "categorical",
      codes: Int32Array.from([0, -1, 1, 0, -1, -1, 2]),
      dictionary: ["b", "a", "1"],
    });
  });
});
