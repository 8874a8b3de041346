// `lolpop models ...` and `lolpop gc` on the penguins quickstart with the local store, through the
// built CLI: manual approval end to end (train -> not promoted -> approve -> champion by the deploy
// policy -> rollback), the --json shapes, the exit codes, and gc --dry-run == what gc deletes.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lolpop, repoRoot, tempProject } from "./helpers.js";

const SLOW = 180_000;

function setup(): string {
  const dir = tempProject("lolpop-models-");
  for (const f of ["lolpop.yaml", "prepare-data.mjs"])
    copyFileSync(join(repoRoot, "examples", "quickstart", "penguins", f), join(dir, f));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

/** The quickstart config with manual approval and the given forest. */
function configure(dir: string, trees: number, depth: number): void {
  const text = readFileSync(join(repoRoot, "examples", "quickstart", "penguins", "lolpop.yaml"), "utf8")
    .replace("approval: automatic", "approval: manual")
    .replace("n_estimators: 30", `n_estimators: ${trees}`)
    .replace("max_depth: 8", `max_depth: ${depth}`);
  writeFileSync(join(dir, "lolpop.yaml"), text);
}

function json(args: string[], dir: string, code = 0): Record<string, any> {
  const r = lolpop([...args, "--json"], dir);
  if (r.code !== code)
    throw new Error(`lolpop ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe("models commands on the local store", () => {
  const dir = setup();

  test(
    "manual approval: a trained version is not promoted until `models approve`, which applies the deploy policy",
    () => {
      configure(dir, 1, 1); // a weak first model
      const run1 = json(["run", "--step", "deploy"], dir);
      expect(run1.train.version).toBe(1);
      expect(run1.deploy.promoted).toBe(false);
      expect(run1.deploy.reasons.join(" ")).toContain("lolpop models approve penguins 1");
      expect(json(["models", "list", "penguins"], dir).champion).toBeNull();

      const a1 = json(["models", "approve", "penguins", "1", "--by", "alice"], dir);
      expect(a1).toMatchObject({ name: "penguins", version: 1, approved_by: "alice" });
      expect(a1.deploy).toMatchObject({ version: 1, promoted: true, champion_version: 1 });
      expect(a1.deploy.reasons).toContain("no champion yet");

      configure(dir, 30, 8); // a better one
      const run2 = json(["run", "--step", "deploy"], dir);
      expect(run2.train.version).toBe(2);
      expect(run2.train.comparison.beats_champion).toBe(true);
      expect(run2.deploy.promoted).toBe(false);
      expect(json(["models", "show", "penguins"], dir).version.version).toBe(1);

      const a2 = json(
        ["models", "approve", "penguins", "2", "--by", "bob", "--comment", "better forest"],
        dir,
      );
      expect(a2.deploy.promoted).toBe(true);
      expect(a2.deploy.reasons.join("; ")).toMatch(
        /approved by bob \(better forest\); beats champion v1 on test f1_macro/,
      );
      const shown = json(["models", "show", "penguins@champion"], dir);
      expect(shown.version).toMatchObject({ name: "penguins", version: 2, aliases: ["champion"] });
      expect(shown.approved).toBe(true);
      expect(shown.version.tags["lolpop.approved_by"]).toBe("bob");
      expect(shown.version.tags["lolpop.approval_comment"]).toBe("better forest");
    },
    SLOW,
  );

  test("rollback restores the previous champion; the history records who and why", () => {
    const r = json(["models", "rollback", "penguins", "--by", "carol", "--reason", "bad predictions"], dir);
    expect(r).toEqual({ name: "penguins", from: 2, to: 1, promoted: true, champion: 1 });
    const h = json(["models", "history", "penguins"], dir);
    expect(h.name).toBe("penguins");
    expect(h.history.map((e: any) => [e.previous, e.version])).toEqual([
      [null, 1],
      [1, 2],
      [2, 1],
    ]);
    expect(h.history[1].reason).toMatch(/approved by bob/);
    expect(h.history[2]).toMatchObject({ alias: "champion", by: "carol" });
    expect(h.history[2].reason).toBe("rollback from v2 to v1: bad predictions");
    for (const e of h.history) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    // The text form
    const text = lolpop(["models", "history", "penguins"], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /champion: v2 -> v1 {2}by carol {2}\(rollback from v2 to v1: bad predictions\)/,
    );
  });

  test("promote moves the champion by hand; promoting the champion again moves nothing", () => {
    expect(json(["models", "promote", "penguins", "2", "--by", "dave"], dir)).toEqual({
      name: "penguins",
      version: 2,
      promoted: true,
      champion: 2,
      previous: 1,
    });
    const again = lolpop(["models", "promote", "penguins", "2"], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("penguins v2 is already the champion");
  });

  test("list: the models table and one model's versions", () => {
    expect(json(["models", "list"], dir)).toEqual({
      models: [{ name: "penguins", versions: 2, champion: 2, latest: 2 }],
    });
    const one = json(["models", "list", "penguins"], dir);
    expect(one.champion).toBe(2);
    expect(one.versions.map((v: any) => [v.version, v.aliases])).toEqual([
      [1, []],
      [2, ["champion"]],
    ]);
    for (const v of one.versions)
      expect(Object.keys(v).sort()).toEqual(
        ["aliases", "created_at", "metrics", "name", "run_id", "tags", "uri", "version"].sort(),
      );
    const text = lolpop(["models", "list", "penguins"], dir, { COLUMNS: "60" });
    expect(text.stdout).toMatch(/^VERSION\s+CREATED/);
    expect(text.stdout).toMatch(/v2 .*champion/);
  });

  test("exit codes: 1 for what does not exist or is refused, 2 for usage errors", () => {
    const missing = lolpop(["models", "show", "penguins/9"], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no version 9 \(versions: 1, 2\)/);
    expect(lolpop(["models", "show", "nope"], dir).code).toBe(1);
    const badVersion = lolpop(["models", "promote", "penguins", "two"], dir);
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toMatch(/version "two": a model version is a whole number from 1/);
    expect(lolpop(["models", "promote", "penguins"], dir).code).toBe(2);
    expect(lolpop(["models", "list", "--bogus"], dir).code).toBe(2);
    expect(lolpop(["gc", "--keep", "-1"], dir).code).toBe(2);
    const refused = lolpop(["models", "archive", "penguins", "2"], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/alias "champion" points at it; promote another version first/);
    for (const cmd of [["models"], ["models", "approve"], ["gc"]]) {
      const help = lolpop([...cmd, "--help"], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Usage: lolpop/);
    }
  });

  test(
    "gc --dry-run lists exactly what gc deletes; alias targets and the previous champion stay",
    () => {
      // v3: identical to v2, registered with --force, not promoted (manual approval).
      const run3 = json(["run", "--step", "deploy", "--force"], dir);
      expect(run3.train.version).toBe(3);
      // v4, archived.
      const run4 = json(["run", "--step", "deploy", "--force"], dir);
      expect(run4.train.version).toBe(4);
      expect(json(["models", "archive", "penguins", "4", "--reason", "duplicate"], dir)).toMatchObject({
        archived: true,
      });
      // A prediction job: the newest top-level run, so with --keep 1 v4's run is collected.
      expect(lolpop(["run", "--step", "predict"], dir).code).toBe(0);

      const dry = json(["gc", "--keep", "1", "--dry-run"], dir);
      expect(dry.dry_run).toBe(true);
      expect(dry.deleted).toEqual({ versions: 0, runs: 0 });
      // Kept: v2 (champion), v1 (previous champion), v3 (the newest not archived). Deleted: v4 (archived).
      expect(dry.versions).toEqual([{ name: "penguins", version: 4, reason: "archived" }]);
      expect(dry.runs.map((r: any) => r.id)).toEqual([run4.lineage.run_id]);
      expect(existsSync(join(dir, ".lolpop", "models", "penguins", "versions", "4"))).toBe(true);
      for (const r of dry.runs) expect(existsSync(join(dir, ".lolpop", "runs", r.id))).toBe(true);

      const real = json(["gc", "--keep", "1"], dir);
      expect(real.versions).toEqual(dry.versions);
      expect(real.runs).toEqual(dry.runs);
      expect(real.deleted).toEqual({ versions: dry.versions.length, runs: dry.runs.length });
      expect(existsSync(join(dir, ".lolpop", "models", "penguins", "versions", "4"))).toBe(false);
      for (const r of dry.runs) expect(existsSync(join(dir, ".lolpop", "runs", r.id))).toBe(false);
      const left = json(["models", "list", "penguins"], dir);
      expect(left.versions.map((v: any) => v.version)).toEqual([1, 2, 3]);
      // The runs of kept versions are kept.
      for (const v of left.versions) expect(existsSync(join(dir, ".lolpop", "runs", v.run_id))).toBe(true);
      // Nothing left to collect; --keep 0 never deletes the champion or the previous champion.
      expect(json(["gc", "--keep", "1", "--dry-run"], dir).versions).toEqual([]);
      const zero = json(["gc", "--keep", "0"], dir);
      expect(zero.versions).toEqual([{ name: "penguins", version: 3, reason: "older than the 0 newest" }]);
      expect(json(["models", "list", "penguins"], dir).versions.map((v: any) => v.version)).toEqual([1, 2]);
      // The history is kept.
      expect(json(["models", "history", "penguins"], dir).history).toHaveLength(4);
      // The champion still predicts.
      const p = lolpop(["run", "--step", "predict"], dir);
      expect(p.code).toBe(0);
    },
    SLOW,
  );
});

describe("models approve when the champion changed since the version was trained", () => {
  const dir = setup();

  test(
    "the stored comparison is stale: the policy treats the champion as unscorable and keeps it; old versions without the records are refused",
    () => {
      configure(dir, 1, 1);
      expect(json(["run", "--step", "deploy"], dir).train.version).toBe(1);
      expect(json(["models", "approve", "penguins", "1"], dir).deploy.promoted).toBe(true);
      configure(dir, 30, 8);
      expect(json(["run", "--step", "deploy"], dir).train.version).toBe(2); // compared with v1
      configure(dir, 5, 3);
      expect(json(["run", "--step", "deploy"], dir).train.version).toBe(3); // compared with v1
      expect(json(["models", "approve", "penguins", "2"], dir).deploy.promoted).toBe(true);

      // v3 was compared with v1, but v2 is champion now: its score on v3's split is not stored.
      const a3 = json(["models", "approve", "penguins", "3", "--by", "erin"], dir);
      expect(a3.deploy.promoted).toBe(false);
      expect(a3.deploy.champion_version).toBe(2);
      expect(a3.deploy.reasons.join("; ")).toMatch(
        /champion v2 could not be scored on the test split \(it became champion after v3 was trained \(which was compared with v1\).*: kept \(on_champion_unscorable: keep\)/,
      );
      expect(a3.message).toMatch(/^penguins v3 approved by erin; not promoted: /);
      expect(json(["models", "show", "penguins/3"], dir).approved).toBe(true);
      expect(json(["models", "show", "penguins"], dir).version.version).toBe(2);

      // A version registered without the records the decision needs (an older lolpop).
      const tagsFile = join(dir, ".lolpop", "models", "penguins", "versions", "3", "tags.json");
      const tags = JSON.parse(readFileSync(tagsFile, "utf8"));
      delete tags["lolpop.perf_metric"];
      writeFileSync(tagsFile, JSON.stringify(tags));
      const old = lolpop(["models", "approve", "penguins", "3"], dir);
      expect(old.code).toBe(1);
      expect(old.stderr).toMatch(
        /does not record what the promotion policy compares.*lolpop models promote penguins 3/,
      );
    },
    SLOW,
  );
});

describe("models approve on a time-series model (forecast quickstart)", () => {
  test(
    "a forecaster trained with approval: manual becomes champion by the policy on approve (mase: lower is better)",
    () => {
      const example = join(repoRoot, "examples", "quickstart", "forecast");
      const dir = tempProject("lolpop-models-forecast-");
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({
          name: "tmp-forecast",
          private: true,
          type: "module",
          dependencies: { "@lolpop/workflows": "*", "@lolpop/local": "*", "@lolpop/forecast": "*" },
        }),
      );
      mkdirSync(join(dir, "data"));
      copyFileSync(join(example, "data", "unemployment.csv"), join(dir, "data", "unemployment.csv"));
      writeFileSync(
        join(dir, "lolpop.yaml"),
        readFileSync(join(example, "lolpop.yaml"), "utf8").replace("approval: automatic", "approval: manual"),
      );
      const run = json(["run", "--step", "deploy"], dir);
      expect(run.deploy.promoted).toBe(false);
      const a = json(["models", "approve", "unemployment", String(run.train.version), "--by", "zed"], dir);
      expect(a.deploy).toMatchObject({ promoted: true, champion_version: run.train.version });
      expect(json(["models", "show", "unemployment"], dir).version.tags["lolpop.perf_metric"]).toBe("mase");
    },
    SLOW,
  );
});
