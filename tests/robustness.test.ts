// Through the CLI: bad data gives clear errors and writes nothing half-done; concurrent runs and runs
// SIGKILLed at each named crash point of the store (LOLPOP_TEST_PAUSE_AT) leave it consistent.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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

function readAliases(dir: string): { aliases: Record<string, number> } | undefined {
  const file = join(dir, ".lolpop", "models", "penguins", "aliases.json");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

/** What became of a `lolpop run` that was to be SIGKILLed at a named crash point of the store. */
interface KillOutcome {
  point: string;
  pid: number;
  /** The run announced that it stopped at `point`, and was sent SIGKILL there. */
  reached: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Runs the CLI with `LOLPOP_TEST_PAUSE_AT=<point>`: the store stops there and says so on stderr
 * (packages/local crashPoint), and this process then kills it with SIGKILL. A run that never reaches
 * the point is not killed: it ends by itself, with `reached: false`.
 */
function runKilledAt(dir: string, point: string, args = ["run"]): Promise<KillOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      cwd: dir,
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", LOLPOP_TEST_PAUSE_AT: point },
      stdio: ["ignore", "ignore", "pipe"],
    });
    running.add(child);
    let stderr = "";
    let reached = false;
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      if (!reached && stderr.includes(`lolpop-test-paused-at ${point}\n`)) {
        reached = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ point, pid: child.pid!, reached, code, signal, stderr });
    });
  });
}

/** Fails unless the run stopped at its crash point and died there by the SIGKILL it was sent. */
function expectKilledAt(o: KillOutcome): void {
  const ended = o.signal ? `was ended by ${o.signal}` : `exited with code ${o.code}`;
  if (!o.reached)
    throw new Error(
      `the run never reached crash point ${o.point}: it ${ended} first, so no kill landed there\n${o.stderr}`,
    );
  if (o.signal !== "SIGKILL")
    throw new Error(`the run stopped at ${o.point} but ${ended}, not by the SIGKILL sent there\n${o.stderr}`);
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
    // --force: the two runs are identical challengers, and both must register.
    const run = () =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [cliBin, "run", "--force"], {
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

  it("a run SIGKILLed at each crash point of the store leaves no half-registered version, and the next run works", async () => {
    const dir = penguinsProject();
    const model = join(dir, ".lolpop", "models", "penguins");
    const debrisOf = (pid: number) =>
      existsSync(join(model, "versions"))
        ? readdirSync(join(model, "versions")).filter((n) => n.startsWith(`.tmp-${pid}-`))
        : [];
    const lockOwner = () =>
      existsSync(join(model, ".lock", "owner.json"))
        ? JSON.parse(readFileSync(join(model, ".lock", "owner.json"), "utf8")).pid
        : undefined;
    // In the order a run reaches them: what a kill there must leave behind.
    const points: Array<[string, { registered: boolean; check: (pid: number) => void }]> = [
      // Copying the model files into the run's private temp folder.
      ["register:mid-copy", { registered: false, check: (pid) => expect(debrisOf(pid)).toHaveLength(1) }],
      // Holding the model lock, before choosing the version number.
      ["register:after-lock", { registered: false, check: (pid) => expect(lockOwner()).toBe(pid) }],
      // version.json written into the temp folder, not yet renamed into place.
      [
        "register:before-rename",
        {
          registered: false,
          check: (pid) => {
            expect(lockOwner()).toBe(pid);
            const [tmp] = debrisOf(pid);
            expect(existsSync(join(model, "versions", tmp!, "version.json"))).toBe(true);
          },
        },
      ],
      // Renamed into place: the version is complete though the run died before promoting it.
      ["register:after-rename", { registered: true, check: (pid) => expect(lockOwner()).toBe(pid) }],
      // Promoting: the aliases file is not rewritten.
      ["promote:before-write", { registered: true, check: (pid) => expect(lockOwner()).toBe(pid) }],
    ];
    // --force: every run is an identical challenger (same data, config and seeds) and must register.
    for (const [point, expected] of points) {
      const before = versions(dir);
      const aliasesBefore = readAliases(dir);
      const outcome = await runKilledAt(dir, point, ["run", "--force"]);
      expectKilledAt(outcome);
      expected.check(outcome.pid);
      expectCompleteVersions(dir);
      expect(versions(dir)).toHaveLength(before.length + (expected.registered ? 1 : 0));
      expect(readAliases(dir)).toEqual(aliasesBefore);
    }
    const before = versions(dir).length;
    const r = lolpop(["run", "--json", "--force"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    const version = JSON.parse(r.stdout).train.version;
    expect(version).toBe(before + 1);
    expectCompleteVersions(dir);
    // The dead runs' temp folders are removed and their lock taken over and released.
    expect(readdirSync(join(model, "versions")).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    expect(existsSync(join(model, ".lock"))).toBe(false);
    expect(readAliases(dir)?.aliases.champion).toBe(version);
  });

  it("a kill meant for a point the run never reaches is reported as such, not counted as a kill", async () => {
    const dir = penguinsProject();
    // `--step process` registers nothing: the run exits 0 before any kill could land.
    const outcome = await runKilledAt(dir, "register:after-lock", ["run", "--step", "process"]);
    expect(outcome).toMatchObject({ reached: false, code: 0, signal: null });
    expect(() => expectKilledAt(outcome)).toThrow(
      "the run never reached crash point register:after-lock: it exited with code 0 first, so no kill landed there",
    );
  });
});
