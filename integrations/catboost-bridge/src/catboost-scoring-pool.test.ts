// Native scoring on worker threads gives exactly the scores of one thread, for oblivious and
// non-symmetric trees, and large inputs are the ones that go to workers. Needs `pnpm build` (the
// worker script runs from dist/).
import { type CatBoostJsonModel, compileCatBoostJson } from "./catboost-json-scorer.js";
import { PARALLEL_SCORING_MIN_ROW_TREES, rawOnWorkers, scoringThreads } from "./catboost-scoring-pool.js";

function compile(m: CatBoostJsonModel) {
  const r = compileCatBoostJson(m);
  if (!r.ok) throw new Error(r.reason);
  return r.scorer;
}

let seed = 7;
const rand = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const F = 4;
const floatFeatures = Array.from({ length: F }, (_, f) => ({
  feature_index: f,
  flat_feature_index: f,
  borders: [-1, -0.25, 0, 0.3, 0.9],
  nan_value_treatment: f % 2 ? "AsTrue" : "AsFalse",
}));
const split = () => {
  const f = Math.floor(rand() * F);
  return {
    split_type: "FloatFeature",
    float_feature_index: f,
    border: floatFeatures[f]!.borders[Math.floor(rand() * 5)]!,
  };
};
const oblivious: CatBoostJsonModel = {
  features_info: { float_features: floatFeatures },
  oblivious_trees: Array.from({ length: 40 }, () => ({
    splits: [split(), split(), split()],
    leaf_values: Array.from({ length: 8 }, () => rand() - 0.5),
  })),
  scale_and_bias: [1.5, [0.25]],
};
type Node = { split: ReturnType<typeof split>; left: Node; right: Node } | { value: number[] };
const tree = (depth: number): Node =>
  depth === 0 || rand() < 0.2
    ? { value: [rand(), rand(), rand()] }
    : { split: split(), left: tree(depth - 1), right: tree(depth - 1) };
const nonSymmetric = {
  features_info: { float_features: floatFeatures },
  trees: Array.from({ length: 30 }, () => tree(5)),
  scale_and_bias: [1, [0, 0.5, -0.5]],
} as unknown as CatBoostJsonModel;

const N = 47_321;
const columns = Array.from({ length: F }, () =>
  Float64Array.from({ length: N }, () => (rand() < 0.02 ? Number.NaN : rand() * 3 - 1.5)),
);

describe("native scoring on worker threads", () => {
  test.each([
    ["oblivious", oblivious],
    ["non-symmetric", nonSymmetric],
  ])(
    "%s trees: the same scores as one thread, in row order",
    async (_kind, model) => {
      const scorer = compile(model);
      const one = scorer.raw(columns, N);
      // 2 threads: this one and one worker; 3 threads: this one and two workers
      for (const threads of [2, 3]) {
        const many = await rawOnWorkers(scorer, columns, N, threads);
        expect(many.length).toBe(N * scorer.dimension);
        expect(Array.from(many)).toEqual(Array.from(one));
      }
    },
    60_000,
  );

  test("large inputs go to worker threads (up to thread_count), small ones stay on this thread", () => {
    const scorer = compile(oblivious); // 40 trees
    const big = Math.ceil(PARALLEL_SCORING_MIN_ROW_TREES / 40);
    expect(scoringThreads(scorer, big, 2)).toBe(2);
    expect(scoringThreads(scorer, big, 1)).toBe(1);
    expect(scoringThreads(scorer, big - 1_000, 2)).toBe(1);
    expect(scoringThreads(scorer, 1_000_000, 8)).toBe(8);
  });
});
