/**
 * Test helper: a DuckDB extension folder holding the postgres and sqlite scanners for this DuckDB
 * release, copied from the Python packages `pnpm python:setup` installs into the venv
 * (integrations/duckdb/python/requirements.txt). DuckDB cannot download them here, so tests point
 * `extension_directory` at this folder, the way a user of an offline machine would.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** Root of the monorepo. */
export const repoRoot = join(here, "..", "..", "..");

/** DuckDB release of @duckdb/node-api (its version without the `-r.N` suffix). */
export function duckdbRelease() {
  const req = JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8")).dependencies[
    "@duckdb/node-api"
  ];
  return `v${req.replace(/-r\.\d+$/, "")}`;
}

const PLATFORM = {
  "linux-x64": "linux_amd64",
  "linux-arm64": "linux_arm64",
  "darwin-arm64": "osx_arm64",
  "darwin-x64": "osx_amd64",
};

/** The venv's site-packages folder; throws (never skips) when the venv is missing. */
function sitePackages() {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const lib = join(venv, "lib");
  if (!existsSync(lib))
    throw new Error(
      `The Python venv ${venv} is missing: run \`pnpm python:setup\` at the repo root (it installs integrations/duckdb/python/requirements.txt).`,
    );
  const py = readdirSync(lib).find((d) => d.startsWith("python"));
  return join(lib, py, "site-packages");
}

/**
 * Returns a folder laid out like DuckDB's extension directory (`<version>/<platform>/<name>.duckdb_extension`)
 * with the postgres_scanner and sqlite_scanner extensions.
 */
export function extensionDirectory() {
  const release = duckdbRelease();
  const platform = PLATFORM[`${process.platform}-${process.arch}`];
  if (!platform)
    throw new Error(`no DuckDB extension platform known for ${process.platform}-${process.arch}`);
  const dir = join(tmpdir(), `lolpop-duckdb-extensions-${release}`);
  const target = join(dir, release, platform);
  mkdirSync(target, { recursive: true });
  const site = sitePackages();
  for (const name of ["postgres_scanner", "sqlite_scanner"]) {
    const dest = join(target, `${name}.duckdb_extension`);
    if (existsSync(dest)) continue;
    const src = join(site, `duckdb_extension_${name}`, "extensions", release, `${name}.duckdb_extension`);
    if (!existsSync(src))
      throw new Error(
        `${src} is missing: run \`pnpm python:setup\` (integrations/duckdb/python/requirements.txt pins the ${name} extension for DuckDB ${release})`,
      );
    const tmp = `${dest}.${process.pid}.tmp`; // parallel test processes each copy, then rename
    copyFileSync(src, tmp);
    renameSync(tmp, dest);
  }
  return dir;
}
