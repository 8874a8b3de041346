import { STEP_CACHE_FORMAT, type StepCacheKeyParts, stepCacheKey, UNCACHEABLE_STEPS } from "./step-cache.js";

const base: StepCacheKeyParts = {
  step: "train",
  component: { type: "RandomForestTrainer", plugin: { name: "@lolpop/random-forest", version: "1.2.0" } },
  code: "a".repeat(64),
  config: { n_estimators: 50, max_depth: 8, nested: { b: 1, a: 2 } },
  inputs: { train: "f".repeat(64), valid: "e".repeat(64) },
  seed: 42,
};

describe("stepCacheKey", () => {
  it("is a stable SHA-256 that ignores key order", () => {
    const k = stepCacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(stepCacheKey({ ...base })).toBe(k);
    expect(
      stepCacheKey({
        ...base,
        config: { nested: { a: 2, b: 1 }, max_depth: 8, n_estimators: 50 },
        inputs: { valid: "e".repeat(64), train: "f".repeat(64) },
      }),
    ).toBe(k);
    expect(STEP_CACHE_FORMAT).toBe(1);
  });

  it.each<[string, Partial<StepCacheKeyParts>]>([
    ["the step", { step: "encode" }],
    ["the component type", { component: { ...base.component, type: "OtherTrainer" } }],
    [
      "plugin version",
      {
        component: {
          type: "RandomForestTrainer",
          plugin: { name: "@lolpop/random-forest", version: "1.2.1" },
        },
      },
    ],
    ["the user code", { code: "b".repeat(64) }],
    ["config (a trainer param)", { config: { ...(base.config as object), max_depth: 9 } }],
    ["input (content hash)", { inputs: { train: "0".repeat(64), valid: "e".repeat(64) } }],
    ["seed", { seed: 43 }],
  ])("changes when %s changes", (_what, change) => {
    expect(stepCacheKey({ ...base, ...change })).not.toBe(stepCacheKey(base));
  });

  it("keys secrets by their hash: a changed secret changes the key, and a secret path is treated as a secret", () => {
    const withSecret = (v: string) => ({
      ...base,
      config: { api_key: v, url: "http://x", auth: { password: v } },
    });
    expect(stepCacheKey(withSecret("s3cr3t-1"))).not.toBe(stepCacheKey(withSecret("s3cr3t-2")));
    expect(stepCacheKey(withSecret("s3cr3t-1"))).toBe(stepCacheKey(withSecret("s3cr3t-1")));
    // A secret given by path (from the environment) is hashed too: equal to hashing it by key name.
    const byPath = stepCacheKey({ ...base, config: { conn: "abc" }, secretPaths: new Set(["conn"]) });
    const clear = stepCacheKey({ ...base, config: { conn: "abc" } });
    expect(byPath).not.toBe(clear);
  });

  it("refuses steps with side effects", () => {
    for (const step of ["register", "promote", "deploy", "notify", "predict"]) {
      expect(UNCACHEABLE_STEPS.has(step)).toBe(true);
      expect(() => stepCacheKey({ ...base, step })).toThrow(/never cached/);
    }
  });
});
