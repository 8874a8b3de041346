// `pnpm version-packages` raises the core peer floor of what it releases with a new core
// (scripts/core-peer-floor.mjs), on a scratch git workspace shaped like ours: a package released with
// core 0.2.0 gets ">=0.2.0 <1.0.0", one not released keeps its range, nothing moves without a new core.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot, tempDir } from "./workspace.js";

type Floors = (
  root: string,
  options?: { dryRun?: boolean },
) => Array<{ name: string; from: string; to: string }>;
let raiseCorePeerFloors: Floors;
let dir = "";

const manifest = (rel: string) => join(dir, rel, "package.json");
const write = (rel: string, pkg: Record<string, unknown>) => {
  mkdirSync(join(dir, rel), { recursive: true });
  writeFileSync(manifest(rel), `${JSON.stringify(pkg, null, 2)}\n`);
};
const read = (rel: string) => JSON.parse(readFileSync(manifest(rel), "utf8"));
const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
const peer = { "@lolpop/core": ">=0.1.0 <1.0.0" };

beforeAll(async () => {
  ({ raiseCorePeerFloors } = await import(
    pathToFileURL(join(repoRoot, "scripts", "core-peer-floor.mjs")).href
  ));
});

beforeEach(() => {
  dir = tempDir("lolpop-peer-floor-");
  write("packages/core", { name: "@lolpop/core", version: "0.1.0" });
  write("integrations/a", { name: "@lolpop/a", version: "0.1.0", peerDependencies: peer });
  write("integrations/b", { name: "@lolpop/b", version: "0.1.0", peerDependencies: peer });
  write("apps/cli", {
    name: "@lolpop/cli",
    version: "0.1.0",
    dependencies: { "@lolpop/core": "workspace:^" },
  });
  write("examples/x", {
    name: "@lolpop-examples/x",
    version: "0.1.0",
    private: true,
    peerDependencies: peer,
  });
  git("init", "-q");
  git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".");
  git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "0.1.0");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("a package released with a new core gets that core as its floor; the others keep their range", () => {
  // What `changeset version` leaves: core and @lolpop/a released, @lolpop/b not.
  write("packages/core", { name: "@lolpop/core", version: "0.2.0" });
  write("integrations/a", { name: "@lolpop/a", version: "0.2.0", peerDependencies: peer });
  expect(raiseCorePeerFloors(dir, { dryRun: true })).toEqual([
    { name: "@lolpop/a", from: ">=0.1.0 <1.0.0", to: ">=0.2.0 <1.0.0" },
  ]);
  expect(read("integrations/a").peerDependencies["@lolpop/core"]).toBe(">=0.1.0 <1.0.0");
  raiseCorePeerFloors(dir);
  expect(read("integrations/a").peerDependencies["@lolpop/core"]).toBe(">=0.2.0 <1.0.0");
  expect(read("integrations/b").peerDependencies["@lolpop/core"]).toBe(">=0.1.0 <1.0.0");
  expect(read("apps/cli").dependencies["@lolpop/core"]).toBe("workspace:^");
  // Idempotent.
  expect(raiseCorePeerFloors(dir)).toEqual([]);
});

test("nothing changes when core is not released", () => {
  write("integrations/a", { name: "@lolpop/a", version: "0.1.1", peerDependencies: peer });
  expect(raiseCorePeerFloors(dir)).toEqual([]);
  expect(read("integrations/a").peerDependencies["@lolpop/core"]).toBe(">=0.1.0 <1.0.0");
});

test("a range it cannot raise is an error naming the package and the rule", () => {
  write("packages/core", { name: "@lolpop/core", version: "0.2.0" });
  write("integrations/a", {
    name: "@lolpop/a",
    version: "0.2.0",
    peerDependencies: { "@lolpop/core": "^0.1.0" },
  });
  expect(() => raiseCorePeerFloors(dir)).toThrow(
    /@lolpop\/a \(integrations\/a\/package.json\) peers on @lolpop\/core with "\^0.1.0"/,
  );
});

test("the workspace's version-packages runs it after changeset version", () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  expect(pkg.scripts["version-packages"]).toBe("changeset version && node scripts/core-peer-floor.mjs");
});
