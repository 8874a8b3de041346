// Honest, atomic promotion: an unscorable champion is decided by policy, every stored reason is
// true, an identical challenger is not registered twice, and the champion alias moves only if the
// champion is still the one the decision was made against (compare-and-set), also under 8
// concurrent `lolpop run` processes.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createWorkflow,
  type Hook,
  type ModelRepository,
  silentLogger,
  validateConfigText,
  type Workflow,
} from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import { cliBin, lolpop } from "./helpers.js";
import {
  aliases,
  dropColumn,
  type PenguinsConfig,
  penguinsProject,
  penguinsYaml,
  runs,
  versionMetrics,
  versions,
} from "./penguins.js";

async function build(dir: string, config: PenguinsConfig, hooks: Hook[] = []): Promise<Workflow> {
  const text = penguinsYaml(config);
  const file = join(dir, "lolpop.yaml");
  writeFileSync(file, text);
  const { plan } = validateConfigText(text, file, {});
  return createWorkflow(plan, { logger: silentLogger, hooks });
}

async function deploy(dir: string, config: PenguinsConfig, hooks: Hook[] = []): Promise<WorkflowSummary> {
  const wf = await build(dir, { noPredict: true, ...config }, hooks);
  return (await wf.run("run_step", "deploy")) as WorkflowSummary;
}

/** The partial summary carried by a failed run's error. */
function partialSummary(e: unknown): WorkflowSummary | undefined {
  for (let cur = e as { cause?: unknown; summary?: unknown } | undefined; cur; cur = cur.cause as typeof cur)
    if (cur.summary) return cur.summary as WorkflowSummary;
  return undefined;
}

describe("a champion that cannot be scored on the challenger's test split", () => {
  /** v1 was trained with a `date` feature; the new training data has no `date` column. */
  async function withUnscorableChampion(prefix: string): Promise<string> {
    const dir = penguinsProject(prefix, { dates: true });
    const first = await deploy(dir, { processColumns: "{date: datetime}" });
    expect(first.deploy).toMatchObject({ promoted: true, champion_version: 1 });
    dropColumn(dir, "train.csv", "date");
    return dir;
  }

  it("keep (the default): the challenger is not promoted, and the summary says what happened and why", async () => {
    const dir = await withUnscorableChampion("lolpop-unscorable-keep-");
    const s = await deploy(dir, {});
    expect(s.train!.version).toBe(2);
    expect(s.train!.champion).toMatchObject({
      version: 1,
      scored: false,
      reason: expect.stringMatching(/date/),
    });
    expect(s.deploy!.promoted).toBe(false);
    expect(s.deploy!.reasons.join("; ")).toMatch(
      /champion v1 could not be scored on the test split.*date.*kept \(on_champion_unscorable: keep\)/,
    );
    expect(aliases(dir).aliases.champion).toBe(1);
  }, 180_000);

  it("replace: the challenger replaces it, and says so", async () => {
    const dir = await withUnscorableChampion("lolpop-unscorable-replace-");
    const s = await deploy(dir, { onChampionUnscorable: "replace" });
    expect(s.deploy!.promoted).toBe(true);
    expect(s.deploy!.reasons.join("; ")).toMatch(
      /champion v1 could not be scored.*replaced \(on_champion_unscorable: replace\)/,
    );
    expect(aliases(dir).aliases.champion).toBe(2);
  }, 180_000);

  it("fail: the run fails after registering, with the summary of what was done", async () => {
    const dir = await withUnscorableChampion("lolpop-unscorable-fail-");
    const err = await deploy(dir, { onChampionUnscorable: "fail" }).catch((e) => e);
    expect(String(err.message)).toMatch(/champion v1 could not be scored/);
    expect(partialSummary(err)?.train?.version).toBe(2);
    expect(aliases(dir).aliases.champion).toBe(1);
  }, 180_000);
});

describe("promotion reasons", () => {
  it("with require_beat_champion: false, a worse challenger is promoted and the stored reason says it does not beat the champion", async () => {
    const dir = penguinsProject("lolpop-reasons-");
    await deploy(dir, { trees: 30, depth: 8 });
    const s = await deploy(dir, { trees: 1, depth: 1, requireBeatChampion: false });
    expect(s.train!.comparison.beats_champion).toBe(false);
    expect(s.deploy!.promoted).toBe(true);
    const reasons = s.deploy!.reasons.join("; ");
    expect(reasons).not.toMatch(/beats champion/);
    expect(reasons).toMatch(/does not beat champion v1.*require_beat_champion: false/);
    const workflowRun = runs(dir).find((r) => r.id === s.run_id)!;
    expect(workflowRun.tags.promotion_reasons).toBe(reasons);
  }, 180_000);
});

describe("compare-and-set", () => {
  it("the alias moves only if the champion is still the one the decision was made against; otherwise the decision is re-made", async () => {
    const dir = penguinsProject("lolpop-cas-");
    await deploy(dir, { trees: 30, depth: 8 }); // v1: strong
    await deploy(dir, { trees: 1, depth: 1, requireBeatChampion: false }); // v2: weak, champion
    expect(aliases(dir).aliases.champion).toBe(2);
    // While v3 is being decided on (against v2), another process makes v1 champion again.
    let repo: ModelRepository | undefined;
    const deployed: WorkflowSummary["train"][] = [];
    const hooks: Hook[] = [
      {
        match: "deploy.deploy_model",
        before: async (call) => {
          deployed.push(structuredClone(call.args[0] as WorkflowSummary["train"]));
          await repo!.promote_model("penguins", 1);
        },
      },
    ];
    const wf = await build(dir, { trees: 3, depth: 2, noPredict: true }, hooks);
    repo = wf.component<ModelRepository>("model_repository");
    const s = (await wf.run("run_step", "deploy")) as WorkflowSummary;
    expect(s.train!.version).toBe(3);
    // v3 beat v2 (the champion when it was trained); the decision was made again against v1.
    expect(deployed[0]).toMatchObject({ champion: { version: 2 }, comparison: { beats_champion: true } });
    expect(s.train!.champion!.version).toBe(1);
    expect(s.train!.comparison.beats_champion).toBe(false);
    expect(s.deploy!.promoted).toBe(false);
    expect(s.deploy!.champion_version).toBe(1);
    expect(s.deploy!.reasons.join("; ")).toMatch(/champion changed from v2 to v1.*does not beat champion v1/);
    expect(aliases(dir).aliases.champion).toBe(1);
  }, 180_000);
});

describe("an identical challenger", () => {
  it("is not registered again (same data fingerprint, config hash and seeds); --force registers it", () => {
    const dir = penguinsProject("lolpop-identical-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ noPredict: true }));
    const first = lolpop(["run", "--json"], dir);
    if (first.code !== 0) throw new Error(first.stderr);
    const again = lolpop(["run", "--json"], dir);
    if (again.code !== 0) throw new Error(again.stderr);
    const s = JSON.parse(again.stdout);
    expect(s.train).toMatchObject({ version: 1, registered: false, identical_to: 1 });
    expect(versions(dir)).toEqual([1]);
    const text = lolpop(["run"], dir);
    expect(text.stdout).toMatch(/model\s+penguins: not registered, identical to v1 .*--force/);
    const forced = lolpop(["run", "--json", "--force"], dir);
    if (forced.code !== 0) throw new Error(forced.stderr);
    expect(JSON.parse(forced.stdout).train).toMatchObject({ version: 2, registered: true });
    expect(versions(dir)).toEqual([1, 2]);
  }, 180_000);
});

describe("concurrent promotions", () => {
  it("8 concurrent lolpop run with different seeds, 10 times: the champion's history is monotonic in the promotion metric", async () => {
    const dir = penguinsProject("lolpop-stress-");
    // Small, weak forests so that seeds matter; the split (seed 42) is the same for every run.
    writeFileSync(
      join(dir, "lolpop.yaml"),
      penguinsYaml({ noPredict: true, trees: 2, depth: 2, seed: "$" + "{env:LOLPOP_TEST_SEED}" }),
    );
    const runOnce = (seed: number) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cliBin, "run", "--step", "deploy"], {
          cwd: dir,
          env: { ...process.env, LOLPOP_NO_HANDOFF: "1", LOLPOP_TEST_SEED: String(seed) },
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.on("exit", (code) => resolve({ code, stderr }));
      });
    const started = Date.now();
    for (let rep = 0; rep < 10; rep++) {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => runOnce(rep * 8 + i + 1)));
      for (const r of results) if (r.code !== 0) throw new Error(r.stderr);
    }
    console.log(`stress: 80 runs (8 concurrent x 10) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(versions(dir)).toHaveLength(80);
    const history = aliases(dir).history.filter((h) => h.alias === "champion");
    expect(history.length).toBeGreaterThan(0);
    const score = (v: number) => versionMetrics(dir, v)["test.f1_macro"]!;
    for (const h of history.filter((x) => x.previous !== null))
      expect({ version: h.version, better: score(h.version) > score(h.previous!) }).toEqual({
        version: h.version,
        better: true,
      });
    // Each change starts from the champion the one before it left.
    for (let i = 1; i < history.length; i++) expect(history[i]!.previous).toBe(history[i - 1]!.version);
  }, 900_000);
});
