// The drift tests on their own: golden values computed with Evidently's stattest functions
// (reference note §10), the automatic test choice, and the Kolmogorov-Smirnov numerics against
// scipy 1.17 (the venv Evidently uses) over a grid of sizes and statistics.
import { spawnSync } from "node:child_process";
import { ConfigError, Table } from "@lolpop/core";
import { venvPython } from "../test/helpers.js";
import { ks2Samp, kstwoSf } from "./evidently-distributions.js";
import { driftSample } from "./evidently-drift.js";
import { defaultStatTest, STAT_TESTS, statTestByName } from "./evidently-stattests.js";

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const rep = (v: string | number, n: number) => Array.from({ length: n }, () => v);

function sample(type: "numerical" | "categorical", ref: Array<string | number>, cur: Array<string | number>) {
  const r = Table.fromColumns({ c: ref });
  const c = Table.fromColumns({ c: cur });
  return driftSample("c", type, r.column("c"), c.column("c"));
}

const num = () => sample("numerical", range(1, 30), range(6, 40));
const cat = () =>
  sample(
    "categorical",
    [...rep("a", 50), ...rep("b", 30), ...rep("c", 20)],
    [...rep("a", 30), ...rep("b", 30), ...rep("c", 40)],
  );
const newCat = () =>
  sample(
    "categorical",
    [...rep("a", 60), ...rep("b", 40)],
    [...rep("a", 50), ...rep("b", 40), ...rep("c", 10)],
  );

describe("golden values (Evidently 0.7 stattests on scipy 1.17)", () => {
  it.each([
    ["ks", "numbers", num, 0.11579690906072955, false],
    ["wasserstein", "numbers", num, 0.8665069303180503, true],
    ["psi", "numbers", num, 3.3281381699942747, true],
    ["jensenshannon", "numbers", num, 0.39884198783438046, true],
    ["kl_div", "numbers", num, 1.3630635465608398, true],
    ["hellinger", "numbers", num, 0.3722470534470092, true],
    ["chisquare", "categories", cat, 8.31528719103568e-7, true],
    ["jensenshannon", "categories", cat, 0.17211473103812178, true],
    ["psi", "categories", cat, 0.2407945608651872, true],
    ["chisquare", "a new category", newCat, 0.0, true],
    ["psi", "a new category", newCat, 0.7083169080497109, true],
  ] as const)("%s on %s", (name, _what, make, expected, drifted) => {
    const s = make();
    const t = STAT_TESTS[name]!;
    const score = t.score(s);
    expect(Math.abs(score - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    expect(t.drifted(score, t.defaultThreshold)).toBe(drifted);
  });

  it("z-test on 0x70,1x30 vs 0x50,1x50", () => {
    const s = sample("categorical", [...rep(0, 70), ...rep(1, 30)], [...rep(0, 50), ...rep(1, 50)]);
    const p = STAT_TESTS.z!.score(s);
    expect(p).toBeCloseTo(0.0038924171227785465, 12);
    expect(STAT_TESTS.z!.drifted(p, 0.05)).toBe(true);
  });

  it("drift directions: p-values drift below (K-S at equality too), distances at or above (energy strictly above)", () => {
    expect(STAT_TESTS.ks!.drifted(0.05, 0.05)).toBe(true);
    expect(STAT_TESTS.chisquare!.drifted(0.05, 0.05)).toBe(false);
    expect(STAT_TESTS.z!.drifted(0.05, 0.05)).toBe(false);
    expect(STAT_TESTS.wasserstein!.drifted(0.1, 0.1)).toBe(true);
    expect(STAT_TESTS.psi!.drifted(0.1, 0.1)).toBe(true);
    expect(STAT_TESTS.ed!.drifted(0.1, 0.1)).toBe(false);
  });
});

describe("automatic test choice", () => {
  it("follows Evidently's registry", () => {
    expect(defaultStatTest(num()).name).toBe("ks");
    expect(defaultStatTest(sample("numerical", [1, 2, 3, 1, 2], [1, 2, 3])).name).toBe("chisquare");
    expect(defaultStatTest(sample("numerical", [1, 2, 1], [2, 1])).name).toBe("z");
    expect(defaultStatTest(sample("numerical", range(1, 1001), range(1, 50))).name).toBe("wasserstein");
    expect(
      defaultStatTest(
        sample(
          "numerical",
          range(1, 1001).map((i) => i % 4),
          [1, 2],
        ),
      ).name,
    ).toBe("jensenshannon");
    const binary = sample(
      "categorical",
      range(1, 1002).map((i) => (i % 2 ? "x" : "y")),
      ["x"],
    );
    expect(defaultStatTest(binary).name).toBe("jensenshannon");
    expect(defaultStatTest(cat()).name).toBe("chisquare");
  });

  it("rejects unknown methods and methods that do not fit the column type", () => {
    expect(() => statTestByName("anderson", "numerical", "drift.method")).toThrow(
      /unknown drift method "anderson"/,
    );
    expect(() => statTestByName("ks", "categorical", "drift.cat_method")).toThrow(ConfigError);
    expect(() => statTestByName("ks", "categorical", "drift.cat_method")).toThrow(
      /does not apply to categorical/,
    );
  });
});

describe("Kolmogorov-Smirnov numerics against scipy", () => {
  it("ks_2samp (exact and asymptotic) and kstwo.sf agree within 1e-6 relative", () => {
    const script = `
import json, numpy as np
from scipy import stats
rng = np.random.default_rng(7)
ks = []
for n1, n2, shift, ints in [(30,35,0.5,False),(300,500,0.2,False),(1000,10000,0.05,False),(1000,1000,0.1,False),
                            (200,200,0.0,True),(50,20000,0.2,False),(1000,20000,0.03,False),(900,15000,0.0,False),
                            (7,9,1,False),(1000,9999,0.05,True),(120,30000,0.1,False),(1000,12000,0.06,False)]:
    a = rng.normal(0,1,n1); b = rng.normal(shift,1,n2)
    if ints: a = np.round(a*3); b = np.round(b*3)
    r = stats.ks_2samp(a,b)
    ks.append({"a": a.tolist(), "b": b.tolist(), "p": float(r.pvalue)})
kstwo = [{"n": int(n), "x": float(x), "p": float(stats.kstwo.sf(x, n))}
         for n in [1,2,5,10,50,100,140,141,200,500,952,1000,5000] for x in np.linspace(0.001, 0.999, 80)]
print(json.dumps({"ks": ks, "kstwo": kstwo}))
`;
    const r = spawnSync(venvPython(), ["-c", script], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(r.stderr).toBe("");
    const cases = JSON.parse(r.stdout) as {
      ks: Array<{ a: number[]; b: number[]; p: number }>;
      kstwo: Array<{ n: number; x: number; p: number }>;
    };
    const ok = (ours: number, theirs: number) =>
      Math.abs(ours - theirs) <= 1e-9 || Math.abs(ours - theirs) <= 1e-6 * Math.abs(theirs);
    const bad: string[] = [];
    for (const c of cases.ks) {
      const p = ks2Samp(Float64Array.from(c.a).sort(), Float64Array.from(c.b).sort()).pvalue;
      if (!ok(p, c.p)) bad.push(`ks_2samp n=${c.a.length},${c.b.length}: ${p} vs ${c.p}`);
    }
    for (const c of cases.kstwo) {
      const p = kstwoSf(c.x, c.n);
      if (!ok(p, c.p)) bad.push(`kstwo.sf(${c.x}, ${c.n}): ${p} vs ${c.p}`);
    }
    expect(bad).toEqual([]);
    expect(cases.kstwo.length).toBe(13 * 80);
  }, 120_000);
});
