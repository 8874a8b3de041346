// Projects for the `lolpop generate` tests through the real `lolpop` binary: the workspace packages
// linked into node_modules (a stand-in for `npm install` without a registry), except @lolpop/local,
// which is a copy inside the project (vendor/local) so that `--write` changes the copy, never the
// repository.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { pkgDir } from "./local-helpers.js";

const require = createRequire(join(pkgDir, "package.json"));

/** The repository's root folder. */
export const repoRoot = join(pkgDir, "..", "..");

/**
 * Folder of an installed package (real path): as `from` resolves it (default this package, whose
 * workspace dependencies resolve to their folders), else from the repo root (tools such as tsup).
 */
export function packageFolder(name: string, from = pkgDir): string {
  const req = from === pkgDir ? require : createRequire(join(from, "package.json"));
  try {
    return dirname(realpathSync(req.resolve(`${name}/package.json`)));
  } catch {}
  try {
    // A package that does not export its package.json: up from its entry to its folder.
    let dir = dirname(realpathSync(req.resolve(name)));
    while (!existsSync(join(dir, "package.json")) || readJson(join(dir, "package.json")).name !== name) {
      if (dirname(dir) === dir) throw new Error(`no folder of ${name}`);
      dir = dirname(dir);
    }
    return dir;
  } catch {
    return realpathSync(join(repoRoot, "node_modules", name));
  }
}

function readJson(file: string): { name?: string } {
  return JSON.parse(readFileSync(file, "utf8")) as { name?: string };
}

/** A linked package in `dir/node_modules`. */
export function link(dir: string, name: string, target: string): void {
  const at = join(dir, "node_modules", name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at);
}

export interface GenaiProject {
  dir: string;
  /** The copy of @lolpop/local inside the project. */
  localDir: string;
  /** The project's `lolpop` bin. */
  bin: string;
}

/**
 * A project with `lolpop.yaml` (the penguins quickstart's config, plus `extraYaml`) depending on the
 * CLI, core, workflows, random-forest, genai and a copy of @lolpop/local.
 */
export function genaiProject(extraYaml = ""): GenaiProject {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "lolpop-genai-cli-")));
  const deps: Record<string, string> = {};
  for (const name of ["@lolpop/cli", "@lolpop/core", "@lolpop/workflows", "@lolpop/random-forest"]) {
    link(dir, name, packageFolder(name));
    deps[name] = "*";
  }
  link(dir, "@lolpop/genai", pkgDir);
  deps["@lolpop/genai"] = "*";
  const source = packageFolder("@lolpop/local");
  const localDir = join(dir, "vendor", "local");
  for (const f of ["package.json", "README.md", "src", "dist"])
    cpSync(join(source, f), join(localDir, f), { recursive: true });
  link(dir, "@lolpop/local", localDir);
  link(dir, "csv-parse", packageFolder("csv-parse", source));
  deps["@lolpop/local"] = "file:vendor/local";
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "genai-cli-project", private: true, type: "module", dependencies: deps }, null, 2)}\n`,
  );
  const config = readFileSync(join(repoRoot, "examples", "quickstart", "penguins", "lolpop.yaml"), "utf8");
  writeFileSync(join(dir, "lolpop.yaml"), `${config}${extraYaml}`);
  return { dir, localDir, bin: join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js") };
}

/** Runs a `lolpop` bin without blocking this process (a fake server in this process must answer). */
export function runLolpop(
  bin: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", LOLPOP_GENAI_THREADS: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** SHA-256 of every file under `dir` (node_modules excluded), by path relative to `dir`. */
export function fileHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === "node_modules") continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** The files whose hash differs between two {@link fileHashes} snapshots (added and removed included). */
export function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).sort();
}

/** Text without its `/** ... *\/` doc comments: what a docs edit must leave unchanged. */
export function withoutDocComments(text: string): string {
  return text.replace(/^[ \t]*\/\*\*(?:(?!\*\/)[\s\S])*\*\/[ \t]*\n?/gm, "");
}
