// The test setup itself, run on fixture projects (tests/runner-fixtures) in child processes:
// per-project timeouts from jest.base.mjs reach jest, and scripts/run-tests.mjs counts a test file
// that failed to run as failed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { repoRoot, testsDir } from "./helpers.js";

const fixtures = join(testsDir, "runner-fixtures");
const jestBin = join(repoRoot, "node_modules", "jest", "bin", "jest.js");

interface JestFileResult {
  name: string;
  status: string;
  message: string;
  assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>;
}

/** Runs jest with `config` in a child process (workers, a fresh cache); returns its JSON results. */
function runJest(config: string): { status: number | null; files: Record<string, JestFileResult> } {
  const work = mkdtempSync(join(tmpdir(), "lolpop-runner-"));
  const out = join(work, "results.json");
  const r = spawnSync(
    process.execPath,
    [
      "--experimental-vm-modules",
      "--no-warnings=ExperimentalWarning",
      jestBin,
      "--config",
      config,
      "--json",
      `--outputFile=${out}`,
      "--maxWorkers=3",
      `--cacheDirectory=${join(work, "cache")}`,
    ],
    { cwd: repoRoot, encoding: "utf8", timeout: 120_000 },
  );
  const results = JSON.parse(readFileSync(out, "utf8")) as { testResults: JestFileResult[] };
  const files: Record<string, JestFileResult> = {};
  for (const f of results.testResults) files[relative(fixtures, f.name)] = f;
  return { status: r.status, files };
}

function outcome(file: JestFileResult | undefined) {
  return Object.fromEntries((file?.assertionResults ?? []).map((a) => [a.title, a.status]));
}

describe("per-project timeouts (jest.base.mjs)", () => {
  // jest 30 ignores testTimeout in a `projects` entry; every project of the real suite is one.
  let run: ReturnType<typeof runJest>;
  beforeAll(() => {
    run = runJest(join(fixtures, "timeouts", "jest.config.mjs"));
  }, 120_000);

  it("a project without its own timeout gets the 30 s default, for tests and hooks, not jest's 5 s", () => {
    const file = run.files["timeouts/default/slow.fixture.ts"];
    expect(file?.message).toBe("");
    expect(outcome(file)).toEqual({ "a test slower than 5 s": "passed" });
  });

  it("a project's testTimeout is the one applied to its tests, and a test's own timeout still wins", () => {
    const file = run.files["timeouts/lowered/slow-test.fixture.ts"];
    expect(outcome(file)).toEqual({
      "a test slower than the project's timeout": "failed",
      "a test as slow with its own timeout": "passed",
    });
    const failure = file!.assertionResults.find((a) => a.status === "failed")!.failureMessages.join("\n");
    expect(failure).toContain("Exceeded timeout of 1000 ms for a test");
  });

  it("a project's testTimeout applies to its hooks", () => {
    const file = run.files["timeouts/lowered/slow-hook.fixture.ts"];
    expect(outcome(file)).toEqual({ "a test after a hook slower than the project's timeout": "failed" });
    expect(file!.assertionResults[0]!.failureMessages.join("\n")).toContain(
      "Exceeded timeout of 1000 ms for a hook",
    );
    expect(run.status).toBe(1);
  });
});

describe("scripts/run-tests.mjs summary line", () => {
  it("counts a file that fails to load, a crashed worker and a failed afterAll as failed, agreeing with the exit code", () => {
    const work = mkdtempSync(join(tmpdir(), "lolpop-run-tests-"));
    const r = spawnSync(
      process.execPath,
      [
        join(repoRoot, "scripts", "run-tests.mjs"),
        "--config",
        join(fixtures, "summary", "jest.config.mjs"),
        "--maxWorkers=2",
        `--cacheDirectory=${join(work, "cache")}`,
      ],
      {
        cwd: repoRoot,
        encoding: "utf8",
        env: { ...process.env, LOLPOP_TEST_RESULTS: join(work, "results.json") },
        timeout: 120_000,
      },
    );
    expect(r.status).toBe(1);
    const tail = r.stdout.trim().split("\n").slice(-5);
    expect(tail).toEqual([
      expect.stringMatching(
        /^failed to run: tests\/runner-fixtures\/summary\/crashes-worker\.fixture\.ts: A jest worker process \(pid=\d+\) was terminated by another process: signal=SIGKILL/,
      ),
      "failed outside its tests: tests/runner-fixtures/summary/fails-after-tests.fixture.ts: cleanup failed",
      expect.stringMatching(
        /^failed to run: tests\/runner-fixtures\/summary\/fails-to-load\.fixture\.ts: .*Could not locate module \.\/no-such-module\.js/,
      ),
      "test suites: 1 passed, 3 failed (3 without a failed test, each counted below as one failed test)",
      "tests: 2 passed, 3 failed, 0 skipped",
    ]);
    // Its results went to LOLPOP_TEST_RESULTS, not to the main run's .jest-results.json.
    expect(readFileSync(join(work, "results.json"), "utf8")).toContain("fails-to-load.fixture.ts");
  }, 120_000);
});
