// @lolpop/workflows depends on @lolpop/core alone: its package.json names no other lolpop package,
// and importing the built entry in a fresh process registers only the workflows plugin (no Local*
// type, no StdoutNotifier), while @lolpop/local is not even resolvable from this package.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as Record<
  string,
  Record<string, string> | undefined
>;

test("package.json depends on @lolpop/core only (a peer), on no plugin", () => {
  const lolpopDeps = (field: string) => Object.keys(pkg[field] ?? {}).filter((n) => n.startsWith("@lolpop/"));
  expect(lolpopDeps("dependencies")).toEqual([]);
  expect(lolpopDeps("peerDependencies")).toEqual(["@lolpop/core"]);
  expect(lolpopDeps("devDependencies")).toEqual(["@lolpop/core"]);
});

test("importing @lolpop/workflows registers its runners and pipelines and no Local* type", () => {
  const script = `
const core = await import("@lolpop/core");
await import("@lolpop/workflows");
let local = "resolvable";
try { import.meta.resolve("@lolpop/local"); } catch (e) { local = e.code; }
console.log(JSON.stringify({
  plugins: core.listPlugins().map((p) => p.name),
  types: core.listTypes().map((t) => t.type),
  local,
}));`;
  // Run from the package folder: `@lolpop/workflows` resolves to this package's built dist.
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: pkgDir,
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  const out = JSON.parse(r.stdout) as { plugins: string[]; types: string[]; local: string };
  expect(out.plugins).toEqual(["@lolpop/workflows"]);
  expect(out.types).toEqual([
    "ClassificationRunner",
    "OfflineDeploy",
    "OfflinePredict",
    "OfflineProcess",
    "OfflineTrain",
    "RegressionRunner",
    "TimeSeriesPredict",
    "TimeSeriesRunner",
    "TimeSeriesTrain",
  ]);
  expect(out.types.filter((t) => t.startsWith("Local"))).toEqual([]);
  expect(out.local).toBe("ERR_MODULE_NOT_FOUND");
});
