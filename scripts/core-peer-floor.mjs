#!/usr/bin/env node
// Runs after `changeset version` (`pnpm version-packages`): every public package released together
// with a new @lolpop/core version gets that version as the floor of its peer range on core
// (">=0.1.0 <1.0.0" -> ">=0.2.0 <1.0.0"). It was built and tested against that core, and may use
// what is new in it; a user who updates the package without core then gets a peer warning from the
// package manager instead of a missing export at run time. Packages not released this time keep their
// range. "Released" = its version differs from the one committed at HEAD.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const CORE = "@lolpop/core";
const FOLDERS = ["packages", "apps", "integrations"];

/** The package.json of `rel` (a path relative to `root`) as committed at HEAD, or undefined. */
function committed(root, rel) {
  try {
    return JSON.parse(
      execFileSync("git", ["show", `HEAD:${rel}`], { cwd: root, encoding: "utf8", stdio: "pipe" }),
    );
  } catch {
    return undefined;
  }
}

/**
 * Raises the core peer floor of the packages released with a new core version.
 * @param root The workspace root (a git checkout).
 * @param options `dryRun`: report without writing.
 * @returns One entry per package whose range changed: `{ name, from, to }`.
 */
export function raiseCorePeerFloors(root, { dryRun = false } = {}) {
  const manifests = FOLDERS.flatMap((folder) => {
    const dir = join(root, folder);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((name) => join(dir, name, "package.json"))
      .filter((file) => existsSync(file));
  });
  const read = (file) => JSON.parse(readFileSync(file, "utf8"));
  const coreFile = manifests.find((file) => read(file).name === CORE);
  if (!coreFile)
    throw new Error(`core-peer-floor: no ${CORE} package under ${FOLDERS.join(", ")} of ${root}`);
  const core = read(coreFile).version;
  const coreBefore = committed(root, relative(root, coreFile))?.version;
  if (core === coreBefore) return [];
  const changes = [];
  for (const file of manifests) {
    const pkg = read(file);
    const range = pkg.peerDependencies?.[CORE];
    if (pkg.private || !range) continue;
    if (committed(root, relative(root, file))?.version === pkg.version) continue;
    const m = /^>=\s*(\d+\.\d+\.\d+)(\s+<.*)?$/.exec(range.trim());
    if (!m) {
      throw new Error(
        `core-peer-floor: ${pkg.name} (${relative(root, file)}) peers on ${CORE} with "${range}"; use ">=X.Y.Z <N.0.0" as CONTRIBUTING.md says`,
      );
    }
    const to = `>=${core}${m[2] ?? ""}`;
    if (to === range) continue;
    changes.push({ name: pkg.name, from: range, to });
    if (!dryRun) {
      pkg.peerDependencies[CORE] = to;
      writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
    }
  }
  return changes;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const changes = raiseCorePeerFloors(root, { dryRun: process.argv.includes("--dry-run") });
  for (const c of changes) console.log(`${c.name}: peer ${CORE} "${c.from}" -> "${c.to}"`);
  if (changes.length === 0)
    console.log(`core-peer-floor: no package released with a new ${CORE}; nothing to change`);
}
