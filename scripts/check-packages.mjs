#!/usr/bin/env node
// Checks what npm would get from every public workspace package: packs it the way `pnpm release`
// publishes it (`pnpm pack`, workspace: ranges rewritten), then runs publint (--strict: warnings fail)
// and arethetypeswrong (--profile esm-only: the packages are ESM only) on the tarball.
// Run after a build: `pnpm check:packages` builds first. Exits 1 when any package fails.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  return { code: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}` };
}

const listed = run("pnpm", ["ls", "-r", "--depth", "-1", "--json"], root);
if (listed.code !== 0) {
  console.error(listed.out);
  process.exit(1);
}
const packages = JSON.parse(listed.out.slice(listed.out.indexOf("[")))
  .filter((p) => !p.private && p.path !== root)
  .sort((a, b) => a.name.localeCompare(b.name));
if (packages.length === 0) {
  console.error("check-packages: no public package found");
  process.exit(1);
}

const dest = mkdtempSync(join(tmpdir(), "lolpop-check-packages-"));
let failed = 0;
try {
  for (const p of packages) {
    const problems = [];
    const packed = run("pnpm", ["pack", "--pack-destination", dest], p.path);
    const tgz = packed.out.trim().split("\n").pop();
    if (packed.code !== 0 || !tgz?.endsWith(".tgz")) {
      problems.push(`pnpm pack failed:\n${packed.out}`);
    } else {
      const file = isAbsolute(tgz) ? tgz : join(dest, tgz);
      const manifest = run("tar", ["-xzOf", file, "package/package.json"], dest);
      if (manifest.code !== 0 || manifest.out.includes("workspace:"))
        problems.push(`the packed package.json keeps workspace: ranges:\n${manifest.out}`);
      const publint = run(bin("publint"), ["run", file, "--strict"], dest);
      if (publint.code !== 0) problems.push(`publint:\n${publint.out}`);
      const attw = run(bin("attw"), [file, "--profile", "esm-only", "--format", "ascii", "--no-emoji"], dest);
      if (attw.code !== 0) problems.push(`arethetypeswrong:\n${attw.out}`);
    }
    if (problems.length) {
      failed++;
      console.log(`FAIL ${p.name}\n${problems.join("\n")}`);
    } else {
      console.log(`ok   ${p.name}@${p.version}: publint, arethetypeswrong`);
    }
  }
} finally {
  rmSync(dest, { recursive: true, force: true });
}
console.log(`check-packages: ${packages.length} packages checked, ${failed} with problems`);
process.exit(failed ? 1 : 0);
