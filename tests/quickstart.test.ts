// The penguins and cars quickstarts end to end through the CLI, in temp copies outside the repo.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { lolpop, repoRoot, tempProject } from "./helpers.js";

function setup(example: string): string {
  const dir = tempProject(`lolpop-${example}-`);
  for (const f of ["lolpop.yaml", "prepare-data.mjs"])
    copyFileSync(join(repoRoot, "examples", "quickstart", example, f), join(dir, f));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

describe("penguins quickstart", () => {
  const dir = setup("penguins");

  it("validates", () => {
    const r = lolpop(["validate"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid (ClassificationRunner");
  });

  it("first run: trains, registers v1, promotes it, writes predictions", () => {
    const r = lolpop(["run", "--json"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    const s = JSON.parse(r.stdout);
    expect(s.train.version).toBe(1);
    expect(s.train.metrics.test.f1_macro).toBeGreaterThan(0.9);
    expect(s.train.metrics.test.f1_macro).toBeGreaterThan(s.train.baseline.test.f1_macro);
    expect(s.deploy).toMatchObject({ promoted: true, champion_version: 1 });
    const csv = readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")
      .trim()
      .split("\n");
    expect(csv[0]).toBe("id,prediction,proba_Adelie,proba_Chinstrap,proba_Gentoo");
    expect(csv.length - 1).toBe(s.predict.rows);
    const aliases = JSON.parse(
      readFileSync(join(dir, ".lolpop", "models", "penguins", "aliases.json"), "utf8"),
    );
    expect(JSON.stringify(aliases)).toContain('"champion"');
    expect(s.lineage.plugins.map((p: { name: string }) => p.name).sort()).toEqual([
      "@lolpop/local",
      "@lolpop/random-forest",
      "@lolpop/workflows",
    ]);
  });

  it("second run with identical data and seeds: v2 registered, not promoted, v1 stays champion", () => {
    const r = lolpop(["run"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(r.stdout).toMatch(/model\s+penguins v2 registered/);
    expect(r.stdout).toMatch(/promotion\s+not promoted: does not beat champion v1/);
    expect(r.stdout).toMatch(/predictions .* with v1 ->/);
  });
});

describe("cars quickstart", () => {
  it("trains a regressor and predicts", () => {
    const dir = setup("cars");
    const r = lolpop(["run", "--json"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    const s = JSON.parse(r.stdout);
    expect(s.problem_type).toBe("regression");
    expect(s.train.metrics.test.r2).toBeGreaterThan(0.7);
    expect(s.train.metrics.test.rmse).toBeLessThan(s.train.baseline.test.rmse);
    expect(existsSync(join(dir, "predictions", "cars.csv"))).toBe(true);
  });
});
