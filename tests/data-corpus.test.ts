// Every case under data-corpus/ (see its README): the data file read by `lolpop run --step process`
// gives the expected exit code and messages, and a failing case writes nothing.
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listFiles, lolpop, repoRoot, tempProject, testsDir } from "./helpers.js";

const corpusDir = join(testsDir, "data-corpus");
const cases = readdirSync(corpusDir)
  .filter((f) => f.endsWith(".csv"))
  .map((f) => f.slice(0, -4));

interface Expect {
  description: string;
  exit: number;
  stderr: string[];
  nothing_written: boolean;
}

describe("bad-data corpus", () => {
  it("has its cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases)(
    "%s",
    (name) => {
      const expected = JSON.parse(readFileSync(join(corpusDir, `${name}.json`), "utf8")) as Expect;
      const dir = tempProject("lolpop-data-corpus-");
      for (const f of ["lolpop.yaml", "prepare-data.mjs"])
        copyFileSync(join(repoRoot, "examples", "quickstart", "penguins", f), join(dir, f));
      execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
      copyFileSync(join(corpusDir, `${name}.csv`), join(dir, "data", "train.csv"));
      const before = listFiles(dir);
      const r = lolpop(["run", "--step", "process"], dir);
      const out = r.stderr.replaceAll('\\"', '"');
      if (r.code !== expected.exit) throw new Error(`exit ${r.code}, expected ${expected.exit}\n${r.stderr}`);
      for (const text of expected.stderr) expect(out).toContain(text);
      // the metadata tracker's record of the failed run (.lolpop/runs/) is the one file allowed
      const written = () => listFiles(dir).filter((f) => !f.startsWith(".lolpop/runs/"));
      if (expected.nothing_written) expect(written()).toEqual(before);
    },
    300_000,
  );
});
