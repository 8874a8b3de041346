// Every case under data-corpus/ (bad or awkward DATA, beside the malformed-config corpus): `lolpop`
// run on it must exit with the expected code and message, print no terminal control character, and,
// when it fails, leave nothing behind but failed run records (no model, no predictions, no other
// file). The format is described in data-corpus/README.md.
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listFiles, lolpop, tempProject, testsDir } from "./helpers.js";

const corpusDir = join(testsDir, "data-corpus");
const cases = readdirSync(corpusDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Expectation {
  description?: string;
  args?: string[];
  exit: number;
  stderr?: string[];
  stdout?: string[];
  writes: "nothing" | "anything";
}

describe("bad data corpus", () => {
  it("has the seeded cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
    for (const c of cases) expect(existsSync(join(corpusDir, c, "expect.json"))).toBe(true);
  });

  it.each(cases)(
    "%s",
    (name) => {
      const dir = join(corpusDir, name);
      const expected = JSON.parse(readFileSync(join(dir, "expect.json"), "utf8")) as Expectation;
      const project = tempProject(`lolpop-data-corpus-${name}-`);
      for (const f of readdirSync(dir))
        if (f !== "expect.json") cpSync(join(dir, f), join(project, f), { recursive: true });
      const before = listFiles(project);

      const r = lolpop(expected.args ?? ["run", "lolpop.yaml"], project);
      const output = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      if (r.code !== expected.exit) throw new Error(`expected exit ${expected.exit}, got ${output}`);
      // Messages are matched as read: log records on a pipe are JSON, so their quotes are escaped.
      const unquoted = (text: string) => text.replaceAll('\\"', '"');
      for (const m of expected.stderr ?? []) expect(unquoted(r.stderr)).toContain(m);
      for (const m of expected.stdout ?? []) expect(unquoted(r.stdout)).toContain(m);
      // Data-derived text reaches the terminal without escape sequences or control characters.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
      const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
      expect(r.stdout).not.toMatch(control);
      expect(r.stderr).not.toMatch(control);

      if (expected.writes === "nothing") {
        // A failed run may be recorded as FAILED by the tracker (with its lineage and its log); nothing
        // else may appear.
        const added = listFiles(project).filter((f) => !before.includes(f));
        const records = added.filter((f) =>
          /^\.lolpop\/runs\/[^/]+\/(run\.json|params\.json|artifacts\/(lineage\.json|log\.jsonl))$/.test(f),
        );
        expect(added.filter((f) => !records.includes(f))).toEqual([]);
        for (const f of records.filter((x) => x.endsWith("run.json")))
          expect(JSON.parse(readFileSync(join(project, f), "utf8")).status).toBe("FAILED");
      }
    },
    300_000,
  );
});
