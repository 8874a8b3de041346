import { ConfigError, type ConfigIssue, DataError, mergeTrainingParams, pickSeed } from "../index.js";

interface Params {
  depth: number;
  layers: Array<{ units: number }>;
  mode: "a" | "b";
}

const spec = {
  trainer: "XTrainer",
  defaults: { depth: 3, layers: [{ units: 4 }], mode: "a" } as Params,
  check(key: keyof Params, value: unknown, at: string, issues: ConfigIssue[]): string | undefined {
    if (key === "depth")
      return Number.isInteger(value) ? undefined : `depth must be an integer, got ${JSON.stringify(value)}`;
    if (key === "mode") return value === "a" || value === "b" ? undefined : `mode must be "a" or "b"`;
    if (!Array.isArray(value)) return "layers must be a list";
    value.forEach((l, i) => {
      if (!Number.isInteger(l?.units))
        issues.push({ code: "invalid_value", path: `${at}.${i}.units`, message: "units must be an integer" });
    });
    return undefined;
  },
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (ConfigError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("mergeTrainingParams", () => {
  it("takes the defaults, then training_params, then the tuner's params, key by key", () => {
    const r = mergeTrainingParams(
      spec,
      { depth: 5, mode: "b" },
      { depth: 7, seed: 9 },
      "train.model_trainer",
    );
    expect(r).toEqual({
      params: { depth: 7, layers: [{ units: 4 }], mode: "b" },
      seed: 9,
      tuner: {},
      passThrough: {},
    });
    expect(mergeTrainingParams(spec, undefined, undefined, "p").params).toEqual(spec.defaults);
  });

  it("never shares objects with the defaults or the sources", () => {
    const layers = [{ units: 8 }];
    const r = mergeTrainingParams(spec, { layers }, undefined, "p");
    r.params.layers[0]!.units = 99;
    expect(layers[0]!.units).toBe(8);
    const d = mergeTrainingParams(spec, undefined, undefined, "p");
    d.params.layers[0]!.units = 99;
    expect(spec.defaults.layers[0]!.units).toBe(4);
  });

  it("reports every problem at once, each at its YAML path", () => {
    const e = configError(() =>
      mergeTrainingParams(
        spec,
        { depth: 1.5, dept: 2, seed: 3, layers: [{ units: 2 }, { units: "x" }] },
        { mode: "c", seed: 1.5, engine: "fast" },
        "train.model_trainer",
      ),
    );
    expect(e.issues.map((i) => [i.code, i.path, i.message])).toEqual([
      [
        "invalid_value",
        "train.model_trainer.config.training_params.depth",
        "depth must be an integer, got 1.5",
      ],
      [
        "unknown_key",
        "train.model_trainer.config.training_params.dept",
        'unknown parameter "dept" for XTrainer (known: depth, layers, mode)',
      ],
      [
        "unknown_key",
        "train.model_trainer.config.training_params.seed",
        'unknown parameter "seed" for XTrainer (known: depth, layers, mode)',
      ],
      [
        "invalid_value",
        "train.model_trainer.config.training_params.layers.1.units",
        "units must be an integer",
      ],
      ["invalid_value", "train.model_trainer.params.mode", 'mode must be "a" or "b"'],
      ["invalid_value", "train.model_trainer.params.seed", "seed must be an integer, got 1.5"],
      [
        "unknown_key",
        "train.model_trainer.params.engine",
        'unknown parameter "engine" for XTrainer (known: depth, layers, mode, seed)',
      ],
    ]);
  });

  it("takes a trainer's own tuner keys, passes unknown tuner keys through when asked, and adds a hint", () => {
    const own = {
      ...spec,
      tunerKeys: { engine: (v: unknown) => (v === "fast" ? undefined : "engine must be fast") },
    };
    expect(mergeTrainingParams(own, undefined, { engine: "fast" }, "p").tuner).toEqual({ engine: "fast" });
    expect(
      configError(() => mergeTrainingParams(own, undefined, { engine: "slow" }, "p")).issues[0]!.message,
    ).toBe("engine must be fast");
    const through = { ...spec, passThrough: true, unknownHint: "put other parameters in extra_params" };
    expect(mergeTrainingParams(through, undefined, { l2_leaf_reg: 3, depth: 4 }, "p")).toMatchObject({
      params: { depth: 4 },
      passThrough: { l2_leaf_reg: 3 },
    });
    expect(
      configError(() => mergeTrainingParams(through, { l2: 3 }, undefined, "p")).issues[0]!.message,
    ).toBe(
      'unknown parameter "l2" for XTrainer (known: depth, layers, mode); put other parameters in extra_params',
    );
  });

  it("skips undefined values", () => {
    expect(mergeTrainingParams(spec, { depth: undefined }, { mode: undefined }, "p").params).toEqual(
      spec.defaults,
    );
  });
});

describe("pickSeed", () => {
  it("takes the first seed that is set", () => {
    expect(pickSeed(undefined, 7, 3, 42)).toBe(7);
    expect(pickSeed(undefined, undefined, undefined, 42)).toBe(42);
    expect(pickSeed(0, 7)).toBe(0);
  });

  it("rejects a seed that is not an integer", () => {
    let error: unknown;
    try {
      pickSeed(undefined, 1.5, 42);
    } catch (e) {
      error = e;
    }
    expect(DataError.isInstance(error)).toBe(true);
    expect((error as DataError).message).toBe("seed must be an integer, got 1.5");
    expect((error as DataError).code).toBe("invalid_params");
  });
});
