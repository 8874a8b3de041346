/**
 * The WebAssembly (SIMD) kernel of the native scorer for oblivious trees: its bytes are emitted here
 * from the instruction listing below (no binary is checked in), compiled once per process, and
 * instantiated once per compiled model (each instance has its own memory, so worker threads each
 * build their own).
 *
 * Two functions, both exact re-statements of the JavaScript path in catboost-json-scorer.ts:
 * - `bin(col, n, borders, m, nanBin, out)`: for n float64 values at `col`, the number of the m
 *   (float64, increasing) borders below float32(value), or `nanBin` for NaN, one byte each at `out`
 *   (branch-free binary search: `select` instead of a branch);
 * - `sum(trees, count, tiles, acc)`: for each of `count` tree records at `trees` (16 bytes: depth,
 *   address of its split records, address of its float64 leaf values), over `tiles` groups of 16
 *   rows, the leaf index of 16 rows at once (`i8x16.gt_u` of 16 bins against the split's border bin,
 *   masked with the split's bit), then adds the 16 leaf values to the float64 sums at `acc`. Trees go
 *   in order for every row, so the sums are bit-identical to the JavaScript path's.
 * A split record is 48 bytes: the border bin in all 16 bytes, `1 << j` in all 16 bytes (j = the
 * split's place in its tree, split 0 the lowest bit), and the address of the feature's row of bins.
 *
 * Requires WebAssembly SIMD (Node 20 has it); {@link wasmKernel} returns undefined without it.
 */

/** Bytes of one split record (see the module comment). */
export const SPLIT_RECORD_BYTES = 48;
/** Bytes of one tree record. */
export const TREE_RECORD_BYTES = 16;

const uleb = (value: number): number[] => {
  const out: number[] = [];
  let n = value >>> 0;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};

const sleb = (value: number): number[] => {
  const out: number[] = [];
  let n = value | 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, "utf8")];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];

// Value types and instructions (WebAssembly core spec + SIMD proposal opcodes).
const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const VOID = 0x40;
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32c = (n: number) => [0x41, ...sleb(n)];
const mem = (op: number, offset = 0) => [op, 0, ...uleb(offset)]; // alignment hint 0: any address
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const op = {
  block: [0x02, VOID],
  loop: [0x03, VOID],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  select: [0x1b],
  i32Load: (offset = 0) => mem(0x28, offset),
  f64Load: (offset = 0) => mem(0x2b, offset),
  i32Store8: (offset = 0) => mem(0x3a, offset),
  i32Eqz: [0x45],
  i32LeU: [0x4d],
  i32GeU: [0x4f],
  f64Ne: [0x62],
  f64Lt: [0x63],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  f32DemoteF64: [0xb6],
  f64PromoteF32: [0xbb],
  v128Load: (offset = 0) => simd(0x00, 0, ...uleb(offset)),
  v128Store: (offset = 0) => simd(0x0b, 0, ...uleb(offset)),
  v128Zero: simd(0x0c, ...new Array<number>(16).fill(0)),
  f64x2Splat: simd(0x14),
  i8x16ExtractLaneU: (lane: number) => simd(0x16, lane),
  f64x2ReplaceLane: (lane: number) => simd(0x22, lane),
  i8x16GtU: simd(0x28),
  v128And: simd(0x4e),
  v128Or: simd(0x50),
  f64x2Add: simd(0xf0),
};

/** Values binned together in `bin`: independent binary searches interleaved, so their loads overlap. */
export const BIN_LANES = 8;

/**
 * `bin(col, n, borders, m, nanBin, out)`, see the module comment. {@link BIN_LANES} values per
 * iteration (it bins whole groups: the caller's buffers have room past n, and the extra bins are
 * never read). Locals: 6 i, 7 len, 8 half, 9 borders - 8, then per lane k: base, v (f64), x (f64).
 */
function binBody(): number[] {
  const [col, n, borders, m, nanBin, out, i, len, half, bm] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const K = BIN_LANES;
  const base = (k: number) => 10 + k;
  const v = (k: number) => 10 + K + k;
  const x = (k: number) => 10 + 2 * K + k;
  const perLane = (f: (k: number) => number[]) => Array.from({ length: K }, (_, k) => f(k)).flat();
  // biome-ignore format: instruction groups, several to a line
  const code = [
    ...get(borders), ...i32c(8), ...op.i32Sub, ...set(bm),
    ...i32c(0), ...set(i), ...op.block, ...op.loop, ...get(i), ...get(n), ...op.i32GeU, ...op.brIf(1),
    // v = col[i + k]; x = float32(v); base = 0
    ...perLane((k) => [
      ...get(col), ...get(i), ...i32c(3), ...op.i32Shl, ...op.i32Add, ...op.f64Load(k * 8), ...set(v(k)),
      ...get(v(k)), ...op.f32DemoteF64, ...op.f64PromoteF32, ...set(x(k)), ...i32c(0), ...set(base(k)),
    ]),
    ...get(m), ...set(len),
    ...op.block, ...op.loop, ...get(len), ...i32c(1), ...op.i32LeU, ...op.brIf(1),
    ...get(len), ...i32c(1), ...op.i32ShrU, ...set(half),
    // base = borders[base + half - 1] < x ? base + half : base
    ...perLane((k) => [
      ...get(base(k)), ...get(half), ...op.i32Add, ...get(base(k)),
      ...get(bm), ...get(base(k)), ...get(half), ...op.i32Add, ...i32c(3), ...op.i32Shl, ...op.i32Add,
      ...op.f64Load(), ...get(x(k)), ...op.f64Lt, ...op.select, ...set(base(k)),
    ]),
    ...get(len), ...get(half), ...op.i32Sub, ...set(len), ...op.br(0), ...op.end, ...op.end,
    // out[i + k] = isNaN(v) ? nanBin : base + (borders[base] < x)
    ...perLane((k) => [
      ...get(out), ...get(i), ...op.i32Add, ...get(nanBin),
      ...get(base(k)), ...get(borders), ...get(base(k)), ...i32c(3), ...op.i32Shl, ...op.i32Add,
      ...op.f64Load(), ...get(x(k)), ...op.f64Lt, ...op.i32Add,
      ...get(v(k)), ...get(v(k)), ...op.f64Ne, ...op.select, ...op.i32Store8(k),
    ]),
    ...get(i), ...i32c(K), ...op.i32Add, ...set(i), ...op.br(0), ...op.end, ...op.end, ...op.end,
  ];
  return [
    ...vec([
      [4 + K, I32],
      [2 * K, F64],
    ]),
    ...code,
  ];
}

/** The deepest tree `sum` scores (leaf indexes are bytes). */
export const MAX_DEPTH = 8;

/**
 * `sum(trees, count, tiles, acc)`, see the module comment. Per tree, a `br_table` on its depth d
 * picks a tile loop written out for d splits, with the splits' bins addresses and border vectors
 * held in locals. Locals: 4 t (record address), 5 recEnd, 6 split record address, 7 leaves address,
 * 8 row (byte offset of the tile), 9 rowEnd, 10 acc address of the tile, 11-18 bins address of
 * split j, then v128: 19 idx, 20-27 border bin of split j.
 */
function sumBody(): number[] {
  const [trees, count, tiles, acc, t, recEnd, sp, lb, row, rowEnd, ap, idx] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 19,
  ];
  const off = (j: number) => 11 + j;
  const thr = (j: number) => 20 + j;
  // biome-ignore format: instruction groups, several to a line
  const leafOf = (lane: number) => [
    ...get(lb), ...get(idx), ...op.i8x16ExtractLaneU(lane), ...i32c(3), ...op.i32Shl, ...op.i32Add,
    ...op.f64Load(),
  ];
  // acc[row + lane] += leaves[idx[lane]], two lanes per f64x2
  const gather: number[] = [];
  for (let lane = 0; lane < 16; lane += 2)
    gather.push(
      ...get(ap),
      ...get(ap),
      ...op.v128Load(lane * 8),
      ...leafOf(lane),
      ...op.f64x2Splat,
      ...leafOf(lane + 1),
      ...op.f64x2ReplaceLane(1),
      ...op.f64x2Add,
      ...op.v128Store(lane * 8),
    );
  /** The tile loop of a tree of depth d (leaves the loop's blocks balanced). */
  const tileLoop = (d: number): number[] => {
    const code: number[] = [];
    for (let j = 0; j < d; j++)
      code.push(
        ...get(sp),
        ...op.i32Load(j * SPLIT_RECORD_BYTES + 32),
        ...set(off(j)),
        ...get(sp),
        ...op.v128Load(j * SPLIT_RECORD_BYTES),
        ...set(thr(j)),
      );
    // biome-ignore format: instruction groups, several to a line
    code.push(
      ...i32c(0), ...set(row), ...get(acc), ...set(ap),
      ...op.block, ...op.loop, ...get(row), ...get(rowEnd), ...op.i32GeU, ...op.brIf(1),
    );
    // idx = OR over j of (bins[off_j + row ..+16] > border_j) & (1 << j)
    if (d === 0) code.push(...op.v128Zero);
    for (let j = 0; j < d; j++) {
      code.push(...get(off(j)), ...get(row), ...op.i32Add, ...op.v128Load(), ...get(thr(j)), ...op.i8x16GtU);
      code.push(...simd(0x0c, ...new Array<number>(16).fill(1 << j)), ...op.v128And);
      if (j > 0) code.push(...op.v128Or);
    }
    // biome-ignore format: instruction groups, several to a line
    code.push(
      ...set(idx), ...gather,
      ...get(row), ...i32c(16), ...op.i32Add, ...set(row), ...get(ap), ...i32c(128), ...op.i32Add, ...set(ap),
      ...op.br(0), ...op.end, ...op.end,
    );
    return code;
  };
  // Per tree: block(next) block(d=8) ... block(d=0) br_table end [loop d=0] br(next) end [loop d=1] ...
  const dispatch: number[] = [...op.block];
  for (let d = 0; d <= MAX_DEPTH; d++) dispatch.push(...op.block);
  dispatch.push(
    ...get(t),
    ...op.i32Load(0),
    0x0e,
    ...vec(Array.from({ length: MAX_DEPTH + 1 }, (_, d) => uleb(d))),
    ...uleb(MAX_DEPTH),
  );
  for (let d = 0; d <= MAX_DEPTH; d++) dispatch.push(...op.end, ...tileLoop(d), ...op.br(MAX_DEPTH - d));
  dispatch.push(...op.end);
  // biome-ignore format: instruction groups, several to a line
  const code = [
    ...get(tiles), ...i32c(4), ...op.i32Shl, ...set(rowEnd), ...get(trees), ...get(count),
    ...i32c(TREE_RECORD_BYTES), ...op.i32Mul, ...op.i32Add, ...set(recEnd), ...get(trees), ...set(t),
    ...op.block, ...op.loop, ...get(t), ...get(recEnd), ...op.i32GeU, ...op.brIf(1),
    ...get(t), ...op.i32Load(4), ...set(sp), ...get(t), ...op.i32Load(8), ...set(lb),
    ...dispatch,
    ...get(t), ...i32c(TREE_RECORD_BYTES), ...op.i32Add, ...set(t), ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  return [
    ...vec([
      [7 + MAX_DEPTH, I32],
      [1 + MAX_DEPTH, V128],
    ]),
    ...code,
  ];
}

/** The module's bytes: imports `env.memory`, exports `bin` and `sum`. */
export function kernelBytes(): Uint8Array {
  const binType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])];
  const sumType = [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])];
  const body = (b: number[]) => [...uleb(b.length), ...b];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([binType, sumType])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0], [1]])),
    ...section(
      7,
      vec([
        [...name("bin"), 0x00, 0],
        [...name("sum"), 0x00, 1],
      ]),
    ),
    ...section(10, vec([body(binBody()), body(sumBody())])),
  ]);
}

/** The parts of the global `WebAssembly` this module uses (the project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** The instance of the kernel for one model. */
export interface WasmKernel {
  /** The instance's memory (never grown, so views of its buffer stay valid). */
  memory: { readonly buffer: ArrayBuffer };
  bin(col: number, n: number, borders: number, m: number, nanBin: number, out: number): void;
  sum(trees: number, count: number, tiles: number, acc: number): void;
}

let compiled: object | null | undefined;

/**
 * A new instance of the kernel with a memory of at least `bytes` bytes, or undefined when this
 * runtime has no WebAssembly SIMD (the caller then scores in JavaScript).
 */
export function wasmKernel(bytes: number): WasmKernel | undefined {
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!wasm) return undefined;
  if (compiled === undefined) {
    try {
      compiled = new wasm.Module(kernelBytes());
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return undefined;
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const exports = new wasm.Instance(compiled, { env: { memory } }).exports as unknown as Omit<
    WasmKernel,
    "memory"
  >;
  return { memory, bin: exports.bin, sum: exports.sum };
}
