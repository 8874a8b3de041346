#!/usr/bin/env node
// `pnpm pack:all [dest]`: makes the @lolpop/* packages of this clone installable in a project outside
// the repository before they are on npm. Builds (output shown only on failure), packs every public
// package into `dest` (default ./packs) with `pnpm pack` (workspace: ranges become the versions),
// and prints the npm install line. Installing the tarballs together lets npm satisfy their
// dependencies on each other (e.g. @lolpop/local on @lolpop/core) from the tarballs; everything
// else comes from the npm registry.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dest = resolve(process.argv[2] ?? join(root, "packs"));

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}` };
}

const built = run(
  join(root, "node_modules", ".bin", "turbo"),
  ["run", "build", "--output-logs=errors-only"],
  root,
);
if (built.code !== 0) {
  process.stderr.write(built.out);
  console.error("pack:all: the build failed; its output is above");
  process.exit(1);
}
const listed = run("pnpm", ["ls", "-r", "--depth", "-1", "--json"], root);
if (listed.code !== 0) {
  process.stderr.write(listed.out);
  process.exit(1);
}
const packages = JSON.parse(listed.out.slice(listed.out.indexOf("[")))
  .filter((p) => !p.private && p.path !== root)
  .sort((a, b) => a.name.localeCompare(b.name));
mkdirSync(dest, { recursive: true });
for (const f of readdirSync(dest)) if (/^lolpop-.*\.tgz$/.test(f)) rmSync(join(dest, f));
const files = {};
for (const p of packages) {
  const packed = run("pnpm", ["pack", "--pack-destination", dest], p.path);
  const tgz = packed.out.trim().split("\n").pop();
  if (packed.code !== 0 || !tgz?.endsWith(".tgz")) {
    process.stderr.write(packed.out);
    console.error(`pack:all: pnpm pack failed for ${p.name}`);
    process.exit(1);
  }
  files[p.name] = isAbsolute(tgz) ? tgz : join(dest, tgz);
}
// The tarballs of `names` and of every @lolpop/* package they depend on (e.g. @lolpop/local on
// @lolpop/onnx), so npm never looks for an unpublished @lolpop package on the registry.
const dirs = Object.fromEntries(packages.map((p) => [p.name, p.path]));
const pick = (names) => {
  const all = new Set();
  const visit = (name) => {
    if (all.has(name) || !files[name]) return;
    all.add(name);
    const pkg = JSON.parse(readFileSync(join(dirs[name], "package.json"), "utf8"));
    for (const dep of Object.keys(pkg.dependencies ?? {})) if (dep.startsWith("@lolpop/")) visit(dep);
  };
  for (const n of names) visit(n);
  return [...all].map((n) => files[n]);
};
console.log(`pack:all: ${packages.length} packages packed into ${dest}:`);
for (const [name, file] of Object.entries(files)) console.log(`  ${name}  ${file}`);
console.log(
  `\nIn your project, install the ones you need in one command (with @lolpop/core), e.g. the quickstart set:\n  npm install ${pick(["@lolpop/core", "@lolpop/workflows", "@lolpop/local", "@lolpop/random-forest", "@lolpop/cli"]).join(" ")}`,
);
