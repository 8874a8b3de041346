// The workspace's packages as pnpm sees them, and small process helpers of the publishing tests.
import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { repoRoot } from "./registry.js";

export { repoRoot };

/** One workspace package. */
export interface WorkspacePackage {
  name: string;
  version: string;
  private: boolean;
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the repo root, e.g. `integrations/evidently`. */
  rel: string;
  /** Its package.json. */
  pkg: Record<string, any>;
}

let cached: WorkspacePackage[] | undefined;

/** Every package of the pnpm workspace except the root, from `pnpm ls -r`. */
export function workspacePackages(): WorkspacePackage[] {
  if (cached) return cached;
  const r = spawnSync("pnpm", ["ls", "-r", "--depth", "-1", "--json"], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`pnpm ls failed:\n${r.stdout}\n${r.stderr}`);
  const list = JSON.parse(r.stdout) as Array<{ name: string; path: string }>;
  cached = list
    .filter((p) => realpathSync(p.path) !== realpathSync(repoRoot))
    .map((p) => {
      const pkg = JSON.parse(readFileSync(join(p.path, "package.json"), "utf8"));
      return {
        name: pkg.name,
        version: pkg.version,
        private: pkg.private === true,
        dir: p.path,
        rel: relative(repoRoot, p.path),
        pkg,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return cached;
}

/** The packages that get published. */
export function publicPackages(): WorkspacePackage[] {
  return workspacePackages().filter((p) => !p.private);
}

/** A new folder under the OS temp dir: outside the workspace, so npm and pnpm do not see the repo. */
export function tempDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** Result of {@link run}. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command line, for messages. */
  command: string;
  ms: number;
}

/** Runs a command without a shell; never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: SpawnSyncOptions & { cwd: string; env: NodeJS.ProcessEnv },
): RunResult {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
    ...opts,
  });
  return {
    code: r.status,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? "") + (r.error ? `\n${r.error.message}` : ""),
    command: `${cmd} ${args.join(" ")} (in ${opts.cwd})`,
    ms: Date.now() - started,
  };
}

/** Throws with the command's output unless it exited 0; returns its result. */
export function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`${r.command} exited ${r.code}:\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

/** Parses JSON printed on stdout, with the output in the error when it is not JSON. */
export function json<T = Record<string, any>>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${r.command}: not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
