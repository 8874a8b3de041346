import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeTempDirs as cleanTemp, tempDir } from "../test/helpers.js";
import {
  parseRelease,
  parseRequirementLine,
  parseRequirements,
  pipInstallCommand,
  readRequirementsFile,
  satisfiesVersion,
  unmetRequirements,
} from "./index.js";

afterAll(() => cleanTemp());

describe("version specifiers", () => {
  it("parses release numbers and ignores suffixes", () => {
    expect(parseRelease("1.2.10")).toEqual([1, 2, 10]);
    expect(parseRelease("2.4.6rc1+local")).toEqual([2, 4, 6]);
    expect(parseRelease("garbage")).toEqual([]);
  });

  it.each([
    ["1.2.10", "==1.2.10", true],
    ["1.2.9", "==1.2.10", false],
    ["1.2.10", ">=1.2,<2", true],
    ["2.0", ">=1.2,<2", false],
    ["1.1.9", ">=1.2,<2", false],
    ["1.2.3", "~=1.2.0", true],
    ["1.3.0", "~=1.2.0", false],
    ["1.2.3", "==1.2.*", true],
    ["1.3", "!=1.3", false],
    ["1.10", ">1.9", true],
    ["1.0", "<=1.0.0", true],
    ["1.0", "", true],
    ["1.0", "%%1", false],
  ])("%s satisfies %j: %s", (v, spec, ok) => {
    expect(satisfiesVersion(v, spec)).toBe(ok);
  });

  it("lists missing and mismatched distributions", () => {
    expect(
      unmetRequirements(
        [{ name: "catboost", version: ">=1.2" }, { name: "numpy" }, { name: "pandas", version: "<1" }],
        { catboost: "1.1", numpy: "2.0", pandas: null },
      ),
    ).toEqual([
      { name: "catboost", required: ">=1.2", found: "1.1" },
      { name: "pandas", required: "<1", found: null },
    ]);
  });

  it("reads pinned requirements files and builds the exact pip line", () => {
    const dir = tempDir("lolpop-req-");
    const file = join(dir, "requirements.txt");
    writeFileSync(file, "# comment\ncatboost==1.2.10\n\n--index-url x\nnumpy>=2 ; python_version>'3'\nsix\n");
    const reqs = readRequirementsFile(file);
    expect(reqs).toEqual([
      { name: "catboost", version: "==1.2.10", install: "catboost==1.2.10" },
      { name: "numpy", version: ">=2", install: "numpy>=2 ; python_version>'3'" },
      { name: "six", install: "six" },
    ]);
    expect(pipInstallCommand("/p y/python", reqs.slice(0, 1))).toBe(
      "'/p y/python' -m pip install catboost==1.2.10",
    );
  });

  it("parses one requirement line: name, specifier without extras or markers, the line to install", () => {
    expect(parseRequirementLine("evidently[llm]==0.7.23")).toEqual({
      name: "evidently",
      version: "==0.7.23",
      install: "evidently[llm]==0.7.23",
    });
    expect(parseRequirementLine("scikit-learn")).toEqual({ name: "scikit-learn", install: "scikit-learn" });
    expect(parseRequirementLine("  # only a comment")).toBeUndefined();
    expect(parseRequirementLine("-r other.txt")).toBeUndefined();
    expect(parseRequirements("a==1  # pinned\n\nb>=2,<3\n").map((r) => [r.name, r.version])).toEqual([
      ["a", "==1"],
      ["b", ">=2,<3"],
    ]);
  });
});
