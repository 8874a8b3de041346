// Discovery across real installs: the workspace packages are packed into tarballs and installed in
// fixture projects under the OS temp dir with npm (hoisted), pnpm (strict, isolated) and npm -g,
// next to fixture plugins that are broken, incompatible, clashing, throwing at import or bundling a
// second @lolpop/core. Built once for the whole file (installs are slow).
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { projectFiles } from "@lolpop/cli";
import {
  json,
  npmPack,
  packWorkspace,
  runBin,
  sh,
  tempDir,
  WORKSPACE,
  writeFixturePlugins,
  writePackage,
} from "./cli-helpers.js";

const work = tempDir("lolpop-install-");
const packs = join(work, "packs");
const markers = join(work, "markers");
const FIXTURES = [
  "lolpop-plugin-throws",
  "lolpop-plugin-nomanifest",
  "lolpop-plugin-noentry",
  "lolpop-plugin-future",
  "lolpop-plugin-clash",
  "lolpop-plugin-dupcore",
];
let tarballs: Record<string, string> = {};

/** An init'd project (package.json replaced) with its sample data written. */
function project(name: string, deps: Record<string, string>): string {
  const dir = join(work, name);
  const files = projectFiles("classification", name);
  writePackage(
    dir,
    { name, private: true, type: "module", dependencies: deps },
    {
      "lolpop.yaml": files["lolpop.yaml"]!,
      "prepare-data.mjs": files["prepare-data.mjs"]!,
      "tests/hooks.mjs": files["tests/hooks.mjs"]!,
    },
  );
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

const fileDeps = (names: string[]) => Object.fromEntries(names.map((n) => [n, `file:${tarballs[n]}`]));
// @lolpop/onnx is not a plugin: it comes with local and random-forest (their ONNX export), so it is
// packed and installed from its tarball too (the registry does not have it).
const LOLPOP = [
  "@lolpop/core",
  "@lolpop/cli",
  "@lolpop/local",
  "@lolpop/onnx",
  "@lolpop/workflows",
  "@lolpop/random-forest",
];

let npmDir = "";
let pnpmDir = "";
let noCliDir = "";
let globalPrefix = "";

beforeAll(() => {
  mkdirSync(packs, { recursive: true });
  mkdirSync(markers, { recursive: true });
  tarballs = packWorkspace(packs, LOLPOP);
  const fixtures = writeFixturePlugins(join(work, "fixtures"), markers);
  for (const name of FIXTURES) tarballs[name] = npmPack(fixtures[name]!, packs);

  npmDir = project("npm-project", fileDeps([...LOLPOP, ...FIXTURES]));
  sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: npmDir });

  // pnpm resolves every @lolpop/* range from the registry unless overridden to the tarballs.
  const pnpmSettings = `overrides:\n${["@lolpop/core", "@lolpop/local", "@lolpop/onnx"].map((n) => `  "${n}": "file:${tarballs[n]}"`).join("\n")}\nallowBuilds:\n  esbuild: false\n`;
  pnpmDir = project("pnpm-project", fileDeps([...LOLPOP, ...FIXTURES]));
  writeFileSync(join(pnpmDir, "pnpm-workspace.yaml"), pnpmSettings);
  sh("pnpm", ["install", "--reporter=append-only"], { cwd: pnpmDir });

  // A project without its own CLI, and a global CLI (npm -g) whose core comes from the core tarball.
  noCliDir = project("nocli-project", fileDeps(LOLPOP.filter((n) => n !== "@lolpop/cli")));
  writeFileSync(join(noCliDir, "pnpm-workspace.yaml"), pnpmSettings);
  sh("pnpm", ["install", "--reporter=append-only"], { cwd: noCliDir });
  const cliCopy = join(work, "cli-for-global");
  sh("tar", ["-xzf", tarballs["@lolpop/cli"]!, "-C", work], { cwd: work });
  renameSync(join(work, "package"), cliCopy);
  const pkg = JSON.parse(readFileSync(join(cliCopy, "package.json"), "utf8"));
  // Its @lolpop dependencies (core; onnx for `lolpop models export`) from their tarballs too.
  for (const dep of Object.keys(pkg.dependencies).filter((d) => d.startsWith("@lolpop/")))
    pkg.dependencies[dep] = `file:${tarballs[dep]}`;
  writeFileSync(join(cliCopy, "package.json"), JSON.stringify(pkg));
  const globalTgz = npmPack(cliCopy, join(work, "cli-for-global"));
  globalPrefix = join(work, "global");
  sh(
    "npm",
    ["install", "-g", "--prefix", globalPrefix, "--no-audit", "--no-fund", "--loglevel=error", globalTgz],
    {
      cwd: work,
    },
  );
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

type ListDoc = {
  project: string;
  cli: { version: string; path: string; handedOffFrom?: string };
  cores: Array<{ version: string; path: string; usedBy: string[] }>;
  duplicate_core: boolean;
  plugins: Array<{
    name: string;
    version: string;
    status: string;
    error?: string;
    fix?: string;
    kinds: string[];
    types: Array<{ kind: string; type: string }>;
    path: string;
    via: string;
    core?: { version: string; path: string };
    warnings: string[];
  }>;
  conflicts: Array<{ type: string; plugins: string[] }>;
  problems: Array<{ message: string; fix: string; plugin?: string }>;
};

/** The checks every layout must pass on `plugins list --json`. */
function checkList(doc: ListDoc, dir: string): void {
  const real = realpathSync(dir);
  const by = Object.fromEntries(doc.plugins.map((p) => [p.name, p]));
  expect(Object.keys(by).sort()).toEqual(
    ["@lolpop/local", "@lolpop/random-forest", "@lolpop/workflows", ...FIXTURES].sort(),
  );
  for (const name of ["@lolpop/local", "@lolpop/random-forest", "@lolpop/workflows"]) {
    expect(by[name]).toMatchObject({ status: "ok", version: "0.1.0", via: "dependencies" });
    // Resolved from the project, never from the workspace the tarballs came from.
    expect(by[name]!.path.startsWith(real)).toBe(true);
  }
  expect(by["@lolpop/random-forest"]!.types).toEqual([
    { kind: "model_trainer", type: "RandomForestModelTrainer" },
  ]);
  expect(by["@lolpop/workflows"]!.kinds.sort()).toEqual(["pipeline", "runner"]);
  // Broken: no manifest, or installed without its build.
  expect(by["lolpop-plugin-nomanifest"]).toMatchObject({ status: "broken" });
  expect(by["lolpop-plugin-nomanifest"]!.error).toMatch(/has no "lolpop" manifest/);
  expect(by["lolpop-plugin-nomanifest"]!.fix).toMatch(/add \{"lolpop"/);
  expect(by["lolpop-plugin-noentry"]).toMatchObject({ status: "broken" });
  expect(by["lolpop-plugin-noentry"]!.error).toMatch(/entry dist\/index\.js does not exist/);
  // Incompatible: targets a plugin API this core does not have, with the upgrade to make.
  expect(by["lolpop-plugin-future"]).toMatchObject({ status: "incompatible", version: "3.0.0" });
  expect(by["lolpop-plugin-future"]!.error).toMatch(
    /targets lolpop plugin API 99, but @lolpop\/core 0\.1\.0 supports API 1/,
  );
  expect(by["lolpop-plugin-future"]!.fix).toMatch(/upgrade @lolpop\/core/);
  // Throws at import: the manifest is fine and nothing imported it.
  expect(by["lolpop-plugin-throws"]).toMatchObject({ status: "ok" });
  // Two plugins claim LocalDataConnector: reported with the qualified names, both stay usable.
  expect(doc.conflicts).toEqual([
    { type: "LocalDataConnector", plugins: ["@lolpop/local", "lolpop-plugin-clash"] },
  ]);
  expect(by["lolpop-plugin-clash"]!.warnings.join()).toMatch(
    /also provided by @lolpop\/local: write lolpop-plugin-clash\/LocalDataConnector/,
  );
  // A second core, bundled by a plugin: both paths reported.
  expect(doc.duplicate_core).toBe(true);
  const dup = doc.cores.find((c) => c.usedBy.includes("lolpop-plugin-dupcore"))!;
  const main = doc.cores.find((c) => c.usedBy.includes("project"))!;
  expect(dup.version).toBe("0.0.1-fixture");
  expect(dup.path).toMatch(/lolpop-plugin-dupcore\/node_modules\/@lolpop\/core$/);
  expect(main.path.startsWith(real)).toBe(true);
  expect(main.usedBy).toEqual(expect.arrayContaining(["project", "@lolpop/local", "@lolpop/cli"]));
  const problem = doc.problems.find((p) => p.message.startsWith("2 copies of @lolpop/core in this project"))!;
  expect(problem.message).toContain(dup.path);
  expect(problem.message).toContain(main.path);
  expect(problem.fix).toMatch(/peerDependencies/);
  // No plugin code ran.
  expect(existsSync(join(markers, "throws-imported"))).toBe(false);
  expect(existsSync(join(markers, "future-imported"))).toBe(false);
}

function layoutTests(label: string, dirOf: () => string) {
  describe(label, () => {
    const bin = () => join(dirOf(), "node_modules", ".bin", "lolpop");

    it("plugins list --json reports every plugin, the broken, incompatible and clashing ones, and the second core", () => {
      const r = runBin(bin(), ["plugins", "list", "--json"], dirOf());
      expect(r.code).toBe(0);
      const doc = json<ListDoc>(r);
      checkList(doc, dirOf());
      expect(doc.cli.path).toBe(realpathSync(join(dirOf(), "node_modules", "@lolpop", "cli")));
    });

    it("a bare type name claimed by two plugins is a config error naming both; the qualified name runs", () => {
      const v = runBin(bin(), ["validate"], dirOf());
      expect(v.code).toBe(2);
      expect(v.stderr).toMatch(
        /Type LocalDataConnector is provided by two plugins: @lolpop\/local and lolpop-plugin-clash/,
      );
      const yaml = readFileSync(join(dirOf(), "lolpop.yaml"), "utf8");
      writeFileSync(
        join(dirOf(), "qualified.yaml"),
        yaml.replaceAll(": LocalDataConnector", ': "@lolpop/local/LocalDataConnector"'),
      );
      const r = runBin(bin(), ["run", "qualified.yaml", "--json"], dirOf());
      if (r.code !== 0) throw new Error(r.stderr);
      const s = JSON.parse(r.stdout);
      expect(s.train.trainer).toBe("RandomForestModelTrainer");
      expect(s.deploy.promoted).toBe(true);
      // The broken and incompatible plugins are reported, never imported, and the run goes on.
      expect(r.stderr).toMatch(
        /plugin lolpop-plugin-future could not be loaded: Plugin lolpop-plugin-future targets lolpop plugin API 99/,
      );
      expect(existsSync(join(markers, "throws-imported"))).toBe(false);
    });

    it("doctor imports each plugin: the one that throws at import is reported with its error and a fix", () => {
      const r = runBin(bin(), ["doctor", "--json"], dirOf());
      // Doctor imports plugins: the throwing one left its marker; later tests check that nothing else does.
      expect(existsSync(join(markers, "throws-imported"))).toBe(true);
      rmSync(join(markers, "throws-imported"), { force: true });
      expect(r.code).toBe(1);
      const doc = json<{
        ok: boolean;
        checks: Array<{ area: string; name: string; status: string; detail: string; fix?: string }>;
      }>(r);
      const check = (name: string) => doc.checks.find((c) => c.area === "plugin" && c.name === name)!;
      expect(check("lolpop-plugin-throws")).toMatchObject({ status: "fail" });
      expect(check("lolpop-plugin-throws").detail).toMatch(
        /failed to load: this plugin must not be imported/,
      );
      expect(check("lolpop-plugin-throws").fix).toBeTruthy();
      expect(check("@lolpop/random-forest").status).toBe("ok");
      expect(check("@lolpop/local")).toMatchObject({ status: "warn" });
      expect(check("@lolpop/local").detail).toMatch(/also provided by lolpop-plugin-clash/);
      expect(check("lolpop-plugin-future").status).toBe("fail");
      expect(check("lolpop-plugin-nomanifest").status).toBe("fail");
      expect(doc.checks.filter((c) => c.name === "@lolpop/core" && c.status === "fail")).toHaveLength(2);
      // Importing the plugins really loaded the bundled second core next to the project's.
      expect(check("lolpop-plugin-dupcore").status).toBe("ok");
      expect(doc.checks.find((c) => c.name === "loaded copies")).toMatchObject({ status: "fail" });
      expect(doc.checks.find((c) => c.name === "loaded copies")!.detail).toMatch(
        /loaded 2 copies of @lolpop\/core: .*lolpop-plugin-dupcore\/node_modules\/@lolpop\/core\/dist\/index\.js/,
      );
    });
  });
}

layoutTests("npm (hoisted node_modules)", () => npmDir);
layoutTests("pnpm (strict, isolated node_modules)", () => pnpmDir);

describe("global install (npm -g)", () => {
  const globalBin = () => join(globalPrefix, "bin", "lolpop");
  const globalCli = () => realpathSync(join(globalPrefix, "lib", "node_modules", "@lolpop", "cli"));

  it("hands off to the project's own @lolpop/cli", () => {
    const r = runBin(globalBin(), ["plugins", "list", "--json"], npmDir);
    expect(r.code).toBe(0);
    const doc = json<ListDoc>(r);
    expect(doc.cli.path).toBe(realpathSync(join(npmDir, "node_modules", "@lolpop", "cli")));
    expect(doc.cli.handedOffFrom).toBe(globalCli());
    checkList(doc, npmDir);
    // The project's CLI owns the process: its exit code (and output) is the command's.
    const missing = runBin(globalBin(), ["validate", "missing.yaml"], npmDir);
    expect([missing.code, missing.stdout]).toEqual([2, ""]);
    expect(missing.stderr).toContain("missing.yaml");
  });

  it("without a project CLI, resolves the project's plugins and reports its own second core", () => {
    const r = runBin(globalBin(), ["plugins", "list", "--json"], noCliDir);
    expect(r.code).toBe(0);
    const doc = json<ListDoc>(r);
    expect(doc.cli.path).toBe(globalCli());
    expect(doc.cli.handedOffFrom).toBeUndefined();
    expect(doc.plugins.map((p) => p.name).sort()).toEqual([
      "@lolpop/local",
      "@lolpop/random-forest",
      "@lolpop/workflows",
    ]);
    for (const p of doc.plugins) {
      expect(p.status).toBe("ok");
      expect(p.path.startsWith(realpathSync(noCliDir))).toBe(true);
    }
    expect(doc.duplicate_core).toBe(true);
    expect(doc.cores.map((c) => c.usedBy[0]).sort()).toEqual(["@lolpop/cli", "project"]);
    const p = doc.problems.find((x) => x.message.includes("uses its own @lolpop/core"))!;
    expect(p.message).toContain(globalCli());
    expect(p.fix).toMatch(/npm install --save-dev @lolpop\/cli/);
    const run = runBin(globalBin(), ["run", "--step", "train", "--json"], noCliDir);
    if (run.code !== 0) throw new Error(run.stderr);
    expect(
      JSON.parse(run.stdout)
        .lineage.plugins.map((x: { name: string }) => x.name)
        .sort(),
    ).toEqual(["@lolpop/local", "@lolpop/random-forest", "@lolpop/workflows"]);
  });

  it("the packed CLI and its core come from the tarballs, not the workspace", () => {
    expect(globalCli().startsWith(WORKSPACE["@lolpop/cli"]!)).toBe(false);
    expect(readFileSync(tarballs["@lolpop/cli"]!).length).toBeGreaterThan(0);
  });
});
