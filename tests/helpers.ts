// Shared by the cross-package tests: temp projects wired to the workspace packages, and the CLI.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const testsDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(testsDir, "..");
export const cliBin = join(repoRoot, "apps", "cli", "bin", "lolpop.js");

/** A temp project outside the repo whose node_modules is the tests package's (the plugins are its dependencies). */
export function tempProject(prefix = "lolpop-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tmp-project",
      private: true,
      type: "module",
      dependencies: {
        "@lolpop/workflows": "*",
        "@lolpop/local": "*",
        "@lolpop/random-forest": "*",
        "vega-datasets": "*",
      },
    }),
  );
  symlinkSync(join(testsDir, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Runs the built CLI; never throws on a non-zero exit. */
export function lolpop(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cliBin, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", ...env },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file below `dir` (relative paths), except node_modules. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === "node_modules") continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
