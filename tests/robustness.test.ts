// Through the CLI: bad data gives clear errors and writes nothing half-done; concurrent runs and
// SIGKILLed runs leave the .lolpop store consistent.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliBin, lolpop, repoRoot, tempProject } from "./helpers.js";

function penguinsProject(): string {
  const dir = tempProject("lolpop-robust-");
  for (const f of ["lolpop.yaml", "prepare-data.mjs"])
    copyFileSync(join(repoRoot, "examples", "quickstart", "penguins", f), join(dir, f));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

function versions(dir: string): string[] {
  const v = join(dir, ".lolpop", "models", "penguins", "versions");
  return existsSync(v)
    ? readdirSync(v)
        .filter((n) => /^\d+$/.test(n))
        .sort((a, b) => Number(a) - Number(b))
    : [];
}

/** Every registered version is complete: metadata, model and feature transformer files present. */
function expectCompleteVersions(dir: string): void {
  for (const v of versions(dir)) {
    const base = join(dir, ".lolpop", "models", "penguins", "versions", v);
    expect(JSON.parse(readFileSync(join(base, "version.json"), "utf8")).version).toBe(Number(v));
    expect(existsSync(join(base, "lolpop-model.json"))).toBe(true);
    expect(existsSync(join(base, "model", "model.json"))).toBe(true);
    expect(existsSync(join(base, "feature_transformer", "feature_transformer.json"))).toBe(true);
  }
}

describe("bad data through lolpop run", () => {
  const cases: Array<[string, (csv: string) => string, RegExp]> = [
    [
      "missing target column",
      (csv) => csv.replace(/^id,species,/, "id,kind,"),
      /target column "species" is not in the data|no column "species"/,
    ],
    ["empty file", () => "", /empty/i],
    [
      "ragged rows",
      (csv) => csv.replace(/\n(\d+,Adelie,[^\n]*)\n/, "\n$1,extra,fields\n"),
      /line \d+.*(expected 8|8 fields)/i,
    ],
    ["header only", (csv) => `${csv.split("\n")[0]}\n`, /no data rows/],
  ];
  it.each(cases)(
    "%s: exit 1, a clear message naming the file, nothing registered or predicted",
    (_name, mutate, message) => {
      const dir = penguinsProject();
      const train = join(dir, "data", "train.csv");
      writeFileSync(train, mutate(readFileSync(train, "utf8")));
      const r = lolpop(["run"], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(versions(dir)).toEqual([]);
      expect(existsSync(join(dir, "predictions"))).toBe(false);
    },
  );

  it("an all-missing feature is dropped with a warning and the run succeeds", () => {
    const dir = penguinsProject();
    // The same schema in training and prediction data, with a column that is always empty.
    for (const f of ["train.csv", "new.csv"]) {
      const file = join(dir, "data", f);
      const lines = readFileSync(file, "utf8").trim().split("\n");
      writeFileSync(
        file,
        `${lines[0]},notes\n${lines
          .slice(1)
          .map((l) => `${l},`)
          .join("\n")}\n`,
      );
    }
    const r = lolpop(["run"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(r.stderr).toMatch(/feature \\"notes\\" is dropped: all values are missing/);
    expect(versions(dir)).toEqual(["1"]);
  });

  it("an unseen category at predict time is handled (counted, warned) and predictions are written", () => {
    const dir = penguinsProject();
    const fresh = join(dir, "data", "new.csv");
    writeFileSync(fresh, readFileSync(fresh, "utf8").replace(/,(Biscoe|Dream|Torgersen),/, ",Atlantis,"));
    const r = lolpop(["run"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(r.stderr).toMatch(/Atlantis|unknown categor|unseen/i);
    expect(
      readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")
        .trim()
        .split("\n").length,
    ).toBe(69);
  });

  it("prediction data lacking a feature column fails naming it, with no predictions written", () => {
    const dir = penguinsProject();
    expect(lolpop(["run", "--step", "deploy"], dir).code).toBe(0);
    const fresh = join(dir, "data", "new.csv");
    writeFileSync(fresh, readFileSync(fresh, "utf8").replace(/^id,island,/, "id,isle,"));
    const r = lolpop(["run", "--step", "predict"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("island");
    expect(existsSync(join(dir, "predictions"))).toBe(false);
  });
});

describe("the .lolpop store under concurrency and SIGKILL", () => {
  it("two concurrent lolpop run on one store both succeed with distinct complete versions", async () => {
    const dir = penguinsProject();
    const run = () =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [cliBin, "run"], {
          cwd: dir,
          env: { ...process.env, LOLPOP_NO_HANDOFF: "1" },
          stdio: "ignore",
        });
        child.on("exit", (code) => resolve(code ?? 1));
      });
    const codes = await Promise.all([run(), run()]);
    expect(codes).toEqual([0, 0]);
    expect(versions(dir)).toEqual(["1", "2"]);
    expectCompleteVersions(dir);
    const aliases = JSON.parse(
      readFileSync(join(dir, ".lolpop", "models", "penguins", "aliases.json"), "utf8"),
    );
    expect([1, 2]).toContain(aliases.aliases.champion);
  });

  it("a run SIGKILLed at several points leaves no half-registered version, and the next run works", async () => {
    const dir = penguinsProject();
    for (const delayMs of [150, 300, 450, 600, 800]) {
      await new Promise<void>((resolve) => {
        const child = spawn(process.execPath, [cliBin, "run"], {
          cwd: dir,
          env: { ...process.env, LOLPOP_NO_HANDOFF: "1" },
          stdio: "ignore",
        });
        setTimeout(() => child.kill("SIGKILL"), delayMs);
        child.on("exit", () => resolve());
      });
      expectCompleteVersions(dir);
    }
    const before = versions(dir).length;
    const r = lolpop(["run", "--json"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(JSON.parse(r.stdout).train.version).toBe(before + 1);
    expectCompleteVersions(dir);
  });
});
