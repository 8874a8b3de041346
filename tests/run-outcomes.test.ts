// What `lolpop run` leaves behind when a step fails or the run is interrupted: the summary of what
// was done (text and --json), runs ended KILLED/FAILED with ended_at (stale ones marked by the next
// run), and lineage.json with the final status, the run's own id and the model versions produced.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliBin, lolpop } from "./helpers.js";
import { dropColumn, penguinsProject, penguinsYaml, runs } from "./penguins.js";

const lineageOf = (run: { dir: string }) =>
  JSON.parse(readFileSync(join(run.dir, "artifacts", "lineage.json"), "utf8"));

describe("a failing step", () => {
  it("still prints the summary of what was done (registered version, promotion) and the error, exit 1", () => {
    const dir = penguinsProject("lolpop-outcome-text-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml());
    dropColumn(dir, "new.csv", "island");
    const r = lolpop(["run"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/model\s+penguins v1 registered/);
    expect(r.stdout).toMatch(/promotion\s+PROMOTED/);
    expect(r.stdout).toMatch(/FAILED at predict/);
    expect(r.stderr).toMatch(/island/);
  }, 180_000);

  it("--json emits {ok: false, summary, error} with the lineage of the failed run", () => {
    const dir = penguinsProject("lolpop-outcome-json-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml());
    dropColumn(dir, "new.csv", "island");
    const r = lolpop(["run", "--json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.summary.train.version).toBe(1);
    expect(out.summary.deploy).toMatchObject({ promoted: true, champion_version: 1 });
    expect(out.summary.predict).toBeUndefined();
    expect(out.error).toMatchObject({ step: "predict", message: expect.stringMatching(/island/) });
    expect(out.lineage.status).toBe("failed");
    const workflowRun = runs(dir).find((x) => x.id === out.summary.run_id)!;
    expect(workflowRun).toMatchObject({ status: "FAILED", ended_at: expect.any(String) });
    // The failed run keeps its log, the steps before the failure included.
    const log = readFileSync(join(workflowRun.dir, "artifacts", "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string });
    expect(log.some((r) => /^read \d+ rows/.test(r.msg))).toBe(true);
  }, 180_000);
});

describe("lineage.json", () => {
  it("is written at the end with the final status, the workflow run's own id and the model version produced", () => {
    const dir = penguinsProject("lolpop-outcome-lineage-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml());
    const r = lolpop(["run", "--json"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    const s = JSON.parse(r.stdout);
    expect(s.ok).toBe(true);
    const workflowRun = runs(dir).find((x) => x.id === s.run_id)!;
    const lineage = lineageOf(workflowRun);
    expect(lineage).toMatchObject({ run_id: s.run_id, status: "succeeded", ended_at: expect.any(String) });
    expect(lineage.models).toEqual([
      expect.objectContaining({ name: "penguins", version: 1, registered: true, promoted: true }),
    ]);
    expect(s.lineage.run_id).toBe(s.run_id);
  }, 180_000);
});

/** Starts a slow `lolpop run` and resolves once its train run exists. */
function startSlowRun(dir: string) {
  writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ trees: 20000, depth: 12 }));
  const child = spawn(process.execPath, [cliBin, "run"], {
    cwd: dir,
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const training = (async () => {
    for (let i = 0; i < 600; i++) {
      if (runs(dir).some((r) => r.name === "train")) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the train run never started:\n${stderr}`);
  })();
  return { child, exited, training, output: () => ({ stdout, stderr }) };
}

describe("interrupted runs", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s ends every open run as KILLED with ended_at, and the summary is still printed",
    async (signal) => {
      const dir = penguinsProject(`lolpop-outcome-${signal}-`);
      const run = startSlowRun(dir);
      await run.training;
      run.child.kill(signal);
      const code = await run.exited;
      const { stdout, stderr } = run.output();
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(signal));
      expect(stdout).toMatch(/data\s+276 rows/);
      const all = runs(dir);
      expect(all.map((r) => r.name).sort()).toEqual(["train", "workflow-all"]);
      for (const r of all)
        expect({ name: r.name, status: r.status, ended: !!r.ended_at }).toEqual({
          name: r.name,
          status: "KILLED",
          ended: true,
        });
      const workflowRun = all.find((r) => r.name === "workflow-all")!;
      expect(lineageOf(workflowRun)).toMatchObject({ run_id: workflowRun.id, status: "cancelled" });
    },
    120_000,
  );

  it("a run left RUNNING by SIGKILL is marked stale (KILLED) by the next run", async () => {
    const dir = penguinsProject("lolpop-outcome-sigkill-");
    const run = startSlowRun(dir);
    await run.training;
    run.child.kill("SIGKILL");
    await run.exited;
    expect(runs(dir).map((r) => r.status)).toEqual(["RUNNING", "RUNNING"]);
    const next = lolpop(["run", "--step", "process"], dir);
    if (next.code !== 0) throw new Error(next.stderr);
    expect(next.stderr).toMatch(/stale/);
    const stale = runs(dir).filter((r) => r.name !== "workflow-process");
    expect(stale).toHaveLength(2);
    for (const r of stale) {
      expect(r.status).toBe("KILLED");
      expect(r.ended_at).toEqual(expect.any(String));
      expect(r.tags["lolpop.stale"]).toMatch(/process \d+ .* is gone/);
    }
    expect(existsSync(join(dir, ".lolpop", "models", "penguins", "versions", "1"))).toBe(false);
  }, 120_000);
});
