// `lolpop validate` in its plain forms runs without commander (apps/cli/src/validate-command.ts): it
// prints and exits exactly as the same command parsed by commander (forced here with a trailing `--`,
// which the fast path leaves to commander), for a valid config, a config error and a missing file;
// and a config read the second time (from the parsed-config cache) reports the same lines.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lolpop, repoRoot, tempProject } from "./helpers.js";

// The penguins quickstart's config (its data paths need not exist for validate).
const VALID = readFileSync(join(repoRoot, "examples", "quickstart", "penguins", "lolpop.yaml"), "utf8");
const DEPTH_LINE = VALID.split("\n").findIndex((l) => l.includes("max_depth: 8")) + 1;

describe("validate without commander", () => {
  const project = tempProject("lolpop-validate-fast-");
  const cache = mkdtempSync(join(tmpdir(), "lolpop-validate-fast-cache-"));
  const env = { LOLPOP_SCHEMA_CACHE_DIR: cache };
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  const both = (args: string[]) => {
    const fast = lolpop(args, project, env);
    const parsed = lolpop([...args, "--"], project, env);
    expect({ code: fast.code, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
      code: parsed.code,
      stdout: parsed.stdout,
      stderr: parsed.stderr,
    });
    return fast;
  };

  test("valid config, text and JSON", () => {
    writeFileSync(join(project, "lolpop.yaml"), VALID);
    expect(both(["validate"]).stdout).toContain("valid (ClassificationRunner");
    const json = both(["validate", "lolpop.yaml", "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, runner: "ClassificationRunner" });
  }, 120_000);

  test("a config error: same issues and lines from the cache as from a fresh parse", () => {
    writeFileSync(join(project, "lolpop.yaml"), VALID.replace("max_depth: 8", "max_depth: -3"));
    for (const args of [
      ["validate", "--json"],
      ["validate"],
      ["validate", "--set", "config.target=island"],
    ]) {
      const r = both(args);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/max_depth/);
      const out = r.stdout + r.stderr;
      expect(out.includes(`lolpop.yaml:${DEPTH_LINE}:`) || out.includes(`"line":${DEPTH_LINE},`)).toBe(true);
    }
  }, 120_000);

  test("a missing config file", () => {
    const r = both(["validate", "nope.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no config file here");
  }, 60_000);
});
