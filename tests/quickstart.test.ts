// The penguins and cars quickstarts end to end through the CLI, in temp copies outside the repo.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliBin, lolpop, repoRoot, tempProject } from "./helpers.js";

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

  it("second run with identical data, config and seeds: nothing registered, v1 stays champion", () => {
    const r = lolpop(["run"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(r.stdout).toMatch(/model\s+penguins: not registered, identical to v1 .*--force/);
    expect(r.stdout).toMatch(/promotion\s+not promoted: v1 is already the champion/);
    expect(r.stdout).toMatch(/predictions .* with v1 ->/);
    expect(existsSync(join(dir, ".lolpop", "models", "penguins", "versions", "2"))).toBe(false);
  });

  it("--force registers the identical challenger as v2; it ties v1, so v1 stays champion", () => {
    const r = lolpop(["run", "--force"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(r.stdout).toMatch(/model\s+penguins v2 registered/);
    expect(r.stdout).toMatch(/promotion\s+not promoted: does not beat champion v1/);
    expect(r.stdout).toMatch(/predictions .* with v1 ->/);
  });

  it("--step evaluate scores the latest predictions against the ground truth", () => {
    const r = lolpop(["run", "--step", "evaluate"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    const m = r.stdout.match(/evaluation\s+v1 on (\d+) rows with ground truth.*: (.*)$/m);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    const accuracy = Number(m![2]!.match(/accuracy (\d\.\d+)/)![1]);
    expect(accuracy).toBeGreaterThan(0.9);
  });

  it("on a terminal, a long step shows a progress line on stderr that is cleared before the summary", () => {
    // A forest big enough to take over a second; `script` gives the CLI a pseudo-terminal.
    const yaml = readFileSync(join(dir, "lolpop.yaml"), "utf8").replace(
      /n_estimators: \d+/,
      "n_estimators: 8000",
    );
    writeFileSync(join(dir, "slow.yaml"), yaml);
    const log = join(dir, "tty.log");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TERM: "xterm",
      LOLPOP_PROGRESS: "",
      LOLPOP_NO_HANDOFF: "1",
      LOLPOP_PROGRESS_DELAY_MS: "0",
    };
    delete env.CI;
    const cmd = `${process.execPath} ${cliBin} run slow.yaml --step train`;
    const r = spawnSync("script", ["-qec", cmd, log], { cwd: dir, env, encoding: "utf8" });
    expect(r.status).toBe(0);
    const out = readFileSync(log, "utf8");
    const clearLine = "\r\x1b[2K";
    const drawn = out.split(clearLine).slice(1);
    expect(
      drawn.some((l) => /^. train\.train_model \d+\.\ds {2}› train\.model_trainer\.fit \d+\.\ds/.test(l)),
    ).toBe(true);
    // The summary comes after the line was cleared.
    const lastClear = out.lastIndexOf("\x1b[2K");
    expect(lastClear).toBeGreaterThan(-1);
    expect(out.indexOf("model       penguins v")).toBeGreaterThan(lastClear);
    // Not on a pipe: the same run without a terminal draws nothing.
    const piped = lolpop(["run", "slow.yaml", "--step", "train"], dir, { CI: "" });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain("\x1b[2K");
  });
});

describe("types a run creates on demand", () => {
  it("a tuner's trainer type that no components: section names is imported from the installed plugin", () => {
    const dir = setup("penguins");
    // The only trainer is in the tuner's training_params: the CLI imports @lolpop/random-forest when
    // the tuner asks for the type, not up front.
    const yaml = readFileSync(join(dir, "lolpop.yaml"), "utf8")
      .replace("model_trainer: RandomForestModelTrainer", "hyperparameter_tuner: LocalHyperparameterTuner")
      .replace(
        /\n {2}model_trainer:\n {4}config:\n(?: {6}.*\n)+/,
        "\n  hyperparameter_tuner:\n    config:\n      training_params:\n        RandomForestModelTrainer:\n          n_estimators: [5, 10]\n",
      );
    expect(yaml).toContain("hyperparameter_tuner: LocalHyperparameterTuner");
    expect(yaml).not.toMatch(/model_trainer:/);
    writeFileSync(join(dir, "lolpop.yaml"), yaml);
    const r = lolpop(["run", "--json", "--step", "train"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    const s = JSON.parse(r.stdout);
    expect(s.train.trainer).toBe("RandomForestModelTrainer");
    expect(s.train.trials).toBe(2);
    expect(s.lineage.plugins.map((p: { name: string }) => p.name)).toContain("@lolpop/random-forest");
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

describe("pnpm quickstart", () => {
  it("shows the build only when it fails", () => {
    const r = spawnSync(process.execPath, [join(repoRoot, "scripts", "quickstart.mjs"), "--build-only"], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 600_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^quickstart: packages built \(\d+\.\d s\)\n$/);
    expect(r.stderr).toBe("");
    const bad = spawnSync(
      process.execPath,
      [join(repoRoot, "scripts", "quickstart.mjs"), "--example", "nope"],
      {
        cwd: repoRoot,
        encoding: "utf8",
      },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown example "nope": one of .*penguins/);
  }, 600_000);
});
