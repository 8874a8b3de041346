import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readRequirementsFile } from "@lolpop/python-bridge";
import { packageDir } from "../test/helpers.js";
import { CATBOOST_REQUIREMENTS_FILE, catboostRequirements } from "./index.js";

/** Per-test timeout: jest's testTimeout is not applied per project when the root config runs every package. */
const TIMEOUT = 120_000;

const bin = join(packageDir, "bin", "lolpop-catboost-setup.js");

describe("lolpop-catboost-setup", () => {
  it(
    "pins catboost 1.2.10 and numpy in the shipped requirements, used as the install line",
    () => {
      expect(readRequirementsFile(CATBOOST_REQUIREMENTS_FILE).map((r) => r.install)).toEqual([
        "catboost==1.2.10",
        "numpy==2.4.6",
      ]);
      expect(catboostRequirements()).toEqual([
        { name: "catboost", version: ">=1.2,<2", install: "catboost==1.2.10" },
        { name: "numpy", version: ">=1.16", install: "numpy==2.4.6" },
      ]);
      const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
        bin: Record<string, string>;
        files: string[];
      };
      expect(pkg.bin["lolpop-catboost-setup"]).toBe("./bin/lolpop-catboost-setup.js");
      expect(pkg.files).toEqual(expect.arrayContaining(["bin", "python/*.py", "python/requirements.txt"]));
    },
    TIMEOUT,
  );

  it(
    "prints its usage, and rejects unknown arguments",
    () => {
      const help = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/Usage: lolpop-catboost-setup \[--project DIR\]/);
      const bad = spawnSync(process.execPath, [bin, "--bogus"], { encoding: "utf8" });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown argument --bogus/);
    },
    TIMEOUT,
  );
});
