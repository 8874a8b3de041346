/**
 * No orphan workers: every live worker process is killed when this Node process exits (normally,
 * through `process.exit`, or after an uncaught exception) or receives SIGINT, SIGTERM or SIGHUP.
 * The handlers are installed only while a worker is alive. When this module's signal handler is the
 * only one, it re-raises the signal after the cleanup so the process still ends the default way.
 * A SIGKILL of this process cannot be caught: the worker then ends itself (PR_SET_PDEATHSIG on
 * Linux, a parent-pid watchdog, and end of input on its stdin).
 */
import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
let installed = false;

/** Kills a worker and its process group at once (it was spawned detached, so it leads its group). */
export function killNow(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function killAll(): void {
  for (const child of live) killNow(child);
}

const onExit = () => killAll();
const onSignal = (signal: NodeJS.Signals) => {
  killAll();
  if (process.listenerCount(signal) === 1) {
    // Ours is the only handler: restore the default behaviour (terminate with the signal).
    uninstall();
    process.kill(process.pid, signal);
  }
};

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener("exit", onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Registers a worker process to be killed when this process ends; unregistered when it exits. */
export function trackChild(child: ChildProcess): void {
  live.add(child);
  install();
  child.once("exit", () => {
    live.delete(child);
    if (live.size === 0) uninstall();
  });
}

/** Pids of the worker processes alive now (for diagnostics and tests). */
export function liveWorkerPids(): number[] {
  return [...live].map((c) => c.pid).filter((p): p is number => p !== undefined);
}
