// Helpers shared by this package's tests (not part of the public API, not bundled).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(packageDir, "..", "..");
export const fixtures = join(packageDir, "test", "fixtures");
export const testHandlers = join(fixtures, "test_handlers.py");

/** The project's venv interpreter; throws (failing the test) when it is missing. */
export function venvPythonForTests(): string {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const python = join(venv, "bin", "python");
  if (!existsSync(python))
    throw new Error(`no Python venv at ${venv}: run \`pnpm python:setup\` at the repository root first`);
  return python;
}

/** `running`, `zombie` (exited, not reaped yet by its new parent) or `gone`. */
export function processState(pid: number): "running" | "zombie" | "gone" {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      return state === "Z" || state === "X" ? "zombie" : "running";
    } catch {
      return "gone";
    }
  }
  try {
    process.kill(pid, 0);
    return "running";
  } catch {
    return "gone";
  }
}

/** The command line of a running process (Linux), for checking that a pid is our worker. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Waits until the process is no longer running (gone or a zombie); false after `ms`. */
export async function waitNotRunning(pid: number, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (processState(pid) !== "running") return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return processState(pid) !== "running";
}

const made: string[] = [];

/** A fresh folder under the OS temp dir, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder made by {@link tempDir} (call it in afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
