import { userInfo } from "node:os";

/** True when a process with `pid` exists on this machine (a process owned by another user counts). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException | null)?.code === "EPERM";
  }
}

/** The OS user name (who approves or promotes when nobody is named), or `unknown` when the OS cannot say. */
export function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
