// `pnpm pack:all`: the one command that makes the packages of a clone installable in a project
// outside the repository (before they are on npm). The tarballs are installed together with npm in
// a temp project, which then validates and runs a workflow with one copy of @lolpop/core.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, testsDir } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "lolpop-pack-all-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it("packs every public package and prints an npm install line that works outside the repo", () => {
  const packs = join(work, "packs");
  const r = spawnSync(process.execPath, [join(repoRoot, "scripts", "pack-all.mjs"), packs], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 900_000,
  });
  if (r.status !== 0) throw new Error(`pack-all failed:\n${r.stdout}\n${r.stderr}`);
  const tarballs = readdirSync(packs);
  for (const dir of [
    "packages/core",
    "packages/workflows",
    "packages/local",
    "integrations/random-forest",
    "apps/cli",
  ]) {
    const pkg = JSON.parse(readFileSync(join(repoRoot, dir, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    expect(tarballs).toContain(`${pkg.name.replace("@", "").replace("/", "-")}-${pkg.version}.tgz`);
  }
  const line = /^ {2}(npm install .*)$/m.exec(r.stdout)?.[1];
  expect(line).toBeDefined();

  const project = join(work, "project");
  cpSync(join(testsDir, "data-corpus", "mape-over-zeros"), project, { recursive: true });
  rmSync(join(project, "expect.json"));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "outside", private: true, type: "module" }),
  );
  const args = line!.split(" ").slice(2);
  const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", ...args], {
    cwd: project,
    encoding: "utf8",
    timeout: 600_000,
  });
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`);
  expect(
    existsSync(join(project, "node_modules", "@lolpop", "local", "node_modules", "@lolpop", "core")),
  ).toBe(false);
  const run = spawnSync(
    join(project, "node_modules", ".bin", "lolpop"),
    ["run", "--step", "train", "--json"],
    {
      cwd: project,
      encoding: "utf8",
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1" },
      timeout: 300_000,
    },
  );
  if (run.status !== 0) throw new Error(`lolpop run failed:\n${run.stderr}`);
  expect(JSON.parse(run.stdout).train.version).toBe(1);
}, 1_200_000);
