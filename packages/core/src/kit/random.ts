/**
 * A small, fast, seeded 32-bit PRNG (the mulberry32 construction): uniform floats in [0, 1), the
 * same sequence for the same seed on every platform. For splits, sampling and shuffles that must be
 * reproducible from a config seed; not for cryptography.
 */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shuffles `items` in place with `rng` (Fisher-Yates, from the last item down) and returns it. The
 * one seeded shuffle of lolpop: the data splitter, the trainers' row orders and subsamples use it,
 * so one seed gives the same order everywhere.
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(
  items: T,
  rng: () => number,
): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** A seeded permutation of `0..n-1`: {@link shuffleInPlace} of the identity. */
export function permutation(n: number, rng: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return shuffleInPlace(out, rng);
}
