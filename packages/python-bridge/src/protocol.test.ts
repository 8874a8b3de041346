import { Table } from "@lolpop/core";
import { decodeValue, encodeFrame, encodeTable, FrameDecoder } from "./index.js";

function concat(chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
}

describe("frames", () => {
  it("round-trips JSON and typed arrays, whatever the chunking", () => {
    const f64 = Float64Array.from([1.5, Number.NaN, -0, 1e300]);
    const i32 = Int32Array.from([-1, 2, 3]);
    const msg = {
      jsonrpc: "2.0",
      id: 7,
      params: { a: "x", f64, nested: [{ i32 }], u8: Uint8Array.from([1, 2]) },
    };
    const bytes = concat(encodeFrame(msg));
    for (const step of [1, 3, 7, bytes.length]) {
      const d = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < bytes.length; i += step) frames.push(...d.push(bytes.subarray(i, i + step)));
      expect(frames).toHaveLength(1);
      const got = frames[0]!.message as typeof msg;
      expect(got.id).toBe(7);
      expect(got.params.a).toBe("x");
      expect(got.params.f64).toBeInstanceOf(Float64Array);
      expect(Array.from(got.params.f64)).toEqual([1.5, Number.NaN, -0, 1e300]);
      expect(Object.is(got.params.f64[2], -0)).toBe(true);
      expect(Array.from(got.params.nested[0]!.i32)).toEqual([-1, 2, 3]);
      expect(Array.from(got.params.u8)).toEqual([1, 2]);
      expect(d.pendingBytes).toBe(0);
    }
  });

  it("decodes two frames from one chunk, and binary values stay binary (not JSON numbers)", () => {
    const big = new Float64Array(100_000).map((_, i) => i / 3);
    const a = concat(encodeFrame({ id: 1, result: big }));
    const b = concat(encodeFrame({ id: 2, result: "ok" }));
    // The header is a few dozen bytes: the values travel as 8 bytes each.
    expect(a.length).toBeLessThan(big.byteLength + 200);
    const frames = new FrameDecoder().push(Buffer.concat([a, b]));
    expect(frames.map((f) => f.message.id)).toEqual([1, 2]);
    expect(frames[0]!.message.result).toEqual(big);
  });

  it("rejects a header that is not JSON", () => {
    const bad = Buffer.from([3, 0, 0, 0, 0x7b, 0x7b, 0x7b]);
    expect(() => new FrameDecoder().push(bad)).toThrow(/not JSON/);
  });

  it("refuses unsupported dtypes and out-of-range buffer references", () => {
    expect(() => decodeValue({ $buffer: 0, dtype: "<c16" }, [new Uint8Array(16)])).toThrow(
      /unsupported dtype/,
    );
    expect(() => decodeValue({ $buffer: 2 }, [])).toThrow(/out of range/);
  });

  it("encodes a table as one typed array per column", () => {
    const t = Table.fromColumns({ x: [1, Number.NaN], c: ["a", null] }, { roles: { c: "feature" } });
    const e = encodeTable(t);
    expect(e.columns[0]).toMatchObject({ name: "x", type: "numeric", role: "feature" });
    expect(e.columns[1]).toMatchObject({ name: "c", type: "categorical", dictionary: ["a"] });
    expect(Array.from((e.columns[1] as { codes: Int32Array }).codes)).toEqual([0, -1]);
  });
});
