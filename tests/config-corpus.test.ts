// Every malformed config under config-corpus/ must: exit 2 as a config error, name the exact YAML path
// and line, never show a secret, and write nothing to disk (validate and run alike).
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listFiles, lolpop, tempProject, testsDir } from "./helpers.js";

const corpusDir = join(testsDir, "config-corpus");
const cases = readdirSync(corpusDir).filter((f) => f.endsWith(".yaml"));

function header(text: string, key: string): string | undefined {
  return new RegExp(`^# ${key}: (.*)$`, "m").exec(text)?.[1]?.trim();
}

describe("malformed config corpus", () => {
  it("has at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  const project = tempProject("lolpop-corpus-");

  it.each(cases)("%s", (file) => {
    const text = readFileSync(join(corpusDir, file), "utf8");
    const code = header(text, "expect-code")!;
    const path = header(text, "expect-path") ?? "";
    const line = header(text, "expect-line");
    const message = header(text, "expect-message");
    const secret = header(text, "secret");
    const env: Record<string, string> = {};
    const envLine = header(text, "env");
    if (envLine) {
      const [k, ...v] = envLine.split("=");
      env[k!] = v.join("=");
    }
    copyFileSync(join(corpusDir, file), join(project, "lolpop.yaml"));
    const before = listFiles(project);

    const v = lolpop(["validate", "lolpop.yaml", "--json"], project, env);
    expect(v.code).toBe(2);
    const out = JSON.parse(v.stdout) as {
      ok: boolean;
      issues: Array<{ code: string; path: string; line?: number; message: string; file?: string }>;
    };
    expect(out.ok).toBe(false);
    const issue = out.issues.find((i) => i.code === code && i.path === path);
    if (!issue) throw new Error(`no issue ${code} at "${path}" in ${JSON.stringify(out.issues, null, 2)}`);
    if (line) expect(issue.line).toBe(Number(line));
    if (message) expect(issue.message).toContain(message);
    expect(issue.file).toBe(join(project, "lolpop.yaml"));

    const r = lolpop(["run", "lolpop.yaml"], project, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config error/);
    if (path) expect(r.stderr).toContain(path);
    if (line) expect(r.stderr).toContain(`lolpop.yaml:${line}:`);
    if (secret) {
      for (const s of [v.stdout, v.stderr, r.stdout, r.stderr]) expect(s).not.toContain(secret);
    }
    expect(listFiles(project)).toEqual(before);
  });
});
