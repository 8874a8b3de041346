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
