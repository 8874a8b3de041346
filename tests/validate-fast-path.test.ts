// `lolpop validate` in its plain forms runs without commander (apps/cli/src/validate-command.ts),
// from the code-cached CommonJS builds of core, the CLI and the plugins' checks modules
// (apps/cli/src/start.ts): it prints and exits exactly as the same command parsed by commander
// (forced here with a trailing `--`, which the fast path leaves to commander) and as the ES module
// build (`LOLPOP_VALIDATE_BUILD=0`), for a valid config, a config error and a missing file; a config
// read the second time (from the parsed-config cache) and code compiled from the V8 code caches
// report the same lines.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    const esm = lolpop(args, project, { ...env, LOLPOP_VALIDATE_BUILD: "0" });
    const again = lolpop(args, project, env);
    for (const other of [parsed, esm, again])
      expect({ code: fast.code, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
        code: other.code,
        stdout: other.stdout,
        stderr: other.stderr,
      });
    return fast;
  };

  test("valid config, text and JSON", () => {
    writeFileSync(join(project, "lolpop.yaml"), VALID);
    expect(both(["validate"]).stdout).toContain("valid (ClassificationRunner");
    const json = both(["validate", "lolpop.yaml", "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, runner: "ClassificationRunner" });
    // The code caches of core's and the CLI's CommonJS builds and of the three plugins' checks
    // modules' (the fast path ran from them).
    expect(readdirSync(cache).filter((f) => /^code-[0-9a-f]{16}\.v8$/.test(f))).toHaveLength(5);
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
