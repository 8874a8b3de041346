import { createRng, permutation, shuffleInPlace } from "../index.js";

describe("createRng", () => {
  it("is deterministic per seed and uniform enough", () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.01);
    expect(createRng(43)()).not.toBe(createRng(42)());
  });
});

describe("shuffleInPlace and permutation", () => {
  it("permute every index exactly once, the same way for the same seed", () => {
    const p = permutation(1000, createRng(7));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(p).toEqual(permutation(1000, createRng(7)));
    expect(p).not.toEqual(permutation(1000, createRng(8)));
    expect(
      shuffleInPlace(
        Int32Array.from({ length: 1000 }, (_, i) => i),
        createRng(7),
      ),
    ).toEqual(p);
  });

  it("is Fisher-Yates from the last item down: item i swaps with floor(rng() * (i + 1))", () => {
    const draws = [0.9, 0.1, 0.5, 0.0];
    let k = 0;
    const rng = () => draws[k++]!;
    // i=4: j=floor(0.9*5)=4 (stays); i=3: j=0 -> [3,1,2,0,4]; i=2: j=1 -> [3,2,1,0,4]; i=1: j=0 -> [2,3,1,0,4].
    expect([...shuffleInPlace([0, 1, 2, 3, 4], rng)]).toEqual([2, 3, 1, 0, 4]);
    expect(k).toBe(4);
    expect(permutation(0, rng)).toEqual(new Int32Array(0));
    expect(permutation(1, rng)).toEqual(Int32Array.from([0]));
  });
});
