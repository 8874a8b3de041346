// Seeded benchmark data shared by the random-forest benchmarks (histogram.mjs, predict.mjs).
import { createRng, Table } from "@lolpop/core";

/** Features of the generated data. */
export const F = 20;

/** Seeded two-class data: Gaussian clusters on hypercube vertices in 8 dimensions, 12 noise features. */
export function makeData(n, seed) {
  const rand = createRng(seed);
  let spare;
  const normal = () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(rand(), 1e-300);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const I = 8;
  const centreRand = createRng(12345); // the same clusters for every n and seed
  const centres = Array.from({ length: 8 }, () =>
    Array.from({ length: I }, () => (centreRand() < 0.5 ? -1 : 1) * 1.2),
  );
  const columns = Array.from({ length: F }, () => new Float64Array(n));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cluster = Math.floor(rand() * 8);
    const k = cluster % 2;
    for (let d = 0; d < I; d++) columns[d][i] = centres[cluster][d] + normal();
    for (let f = I; f < F; f++) columns[f][i] = normal();
    y[i] = rand() < 0.03 ? (rand() < 0.5 ? 0 : 1) : k;
  }
  return { columns, y };
}

/** Rows `[start, end)` as a table with feature columns x0..x19 and target `y` ("a"/"b"). */
export function table({ columns, y }, start, end) {
  const cols = {};
  columns.forEach((c, f) => {
    cols[`x${f}`] = c.subarray(start, end);
  });
  cols.y = Array.from(y.subarray(start, end), (k) => (k ? "b" : "a"));
  return Table.fromColumns(cols, { roles: { y: "target" } });
}

/** Rows `[start, end)` as one row-major float64 matrix (what numpy reads with fromfile + reshape). */
export function rowMajor({ columns }, start, end) {
  const n = end - start;
  const X = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) X[i * F + f] = columns[f][start + i];
  return X;
}
