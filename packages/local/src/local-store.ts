/**
 * Shared internals of the file-based store under `.lolpop/` (used by {@link localMetadataTracker}
 * and {@link localModelRepository}): where the store lives, strict JSON reading, an inter-process
 * lock built on atomic `mkdir`, durable copies and time-sortable ids.
 *
 * Nothing here is a public API of `@lolpop/local`; the layout it serves is documented on each component.
 */
import { randomBytes } from "node:crypto";
import { constants as fsConstants, writeSync } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { type ComponentContext, isProcessAlive, type JsonSchema, StoreError } from "@lolpop/core";

/** Config shared by the store-backed components. */
export interface StoreConfig {
  /** Store folder; relative paths are resolved from the project root. Default: the project's state dir (`.lolpop`). */
  dir?: string;
}

/** JSON Schema of the config of the store-backed components (the tracker and the model repository): `dir`. */
export const STORE_CONFIG_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    dir: {
      type: "string",
      minLength: 1,
      description:
        "Folder of the local store. Relative paths are resolved from the project root (the config file's folder). Default: the project's state folder, `<project>/.lolpop`.",
      default: ".lolpop",
    },
  },
  additionalProperties: false,
};

/**
 * The absolute store root: `config.dir` resolved from the project root, else `ctx.project.stateDir`.
 * The schema default `.lolpop` is treated as "the state dir" so a custom `stateDir` is honoured.
 */
export function resolveStoreDir(ctx: Pick<ComponentContext<StoreConfig>, "config" | "project">): string {
  const dir = ctx.config.dir;
  if (dir === undefined || dir === ".lolpop") return resolve(ctx.project.stateDir);
  return isAbsolute(dir) ? resolve(dir) : resolve(ctx.project.root, dir);
}

// ---------------------------------------------------------------- JSON files

function errorCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null ? (e as { code?: string }).code : undefined;
}

/** True when `e` is a Node error with `code` ENOENT. */
export function isNotFound(e: unknown): boolean {
  return errorCode(e) === "ENOENT" || errorCode(e) === "ENOTDIR";
}

/** The StoreError thrown for a file whose content cannot be used. */
export function corruptedFileError(path: string, problem: string, cause?: unknown): StoreError {
  return new StoreError({
    message: `Cannot read ${path}: ${problem}. The file is corrupted: restore it or delete it.`,
    path,
    cause,
    code: "store_corrupted",
  });
}

/**
 * Reads and parses a JSON file.
 * @throws StoreError (`store_corrupted`) naming the file when its content is not valid JSON.
 * @throws the fs error (ENOENT...) when the file cannot be read; see {@link readJsonIfExists}.
 */
export async function readJson<T = unknown>(path: string): Promise<T> {
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw corruptedFileError(path, `invalid JSON (${(e as Error).message})`, e);
  }
}

/** Like {@link readJson}, but undefined when the file does not exist. */
export async function readJsonIfExists<T = unknown>(path: string): Promise<T | undefined> {
  try {
    return await readJson<T>(path);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Checks that a parsed JSON value is a plain object, else throws a {@link corruptedFileError}. */
export function expectObject(value: unknown, path: string, what = "a JSON object"): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw corruptedFileError(
      path,
      `expected ${what}, found ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

/** Encodes a number for JSON: NaN and infinities (which JSON cannot hold) become strings. */
export function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** Decodes a value written by {@link encodeNumber}; undefined when it is not a number. */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  return undefined;
}

// ---------------------------------------------------------------- durability

/** Flushes a directory entry table to disk (after a rename or create). Best effort where unsupported. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, fsConstants.O_RDONLY);
    await fh.sync();
  } catch (e) {
    const code = errorCode(e);
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw e;
  } finally {
    await fh?.close();
  }
}

/** Writes a file and flushes it to disk (not atomic: use inside a private temp folder). */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Options of {@link copyTree}. */
export interface CopyTreeOptions {
  /** Called after each file is copied (relative path, POSIX separators). */
  onFile?: (relPath: string) => void | Promise<void>;
  /** Top-level entry names to skip. */
  skip?: ReadonlySet<string>;
}

/**
 * Copies a file or a directory tree to `dest` (which must not exist), flushing every file and folder
 * to disk. Symbolic links are followed; anything other than files and folders is rejected.
 * @returns the relative paths of the copied files, sorted.
 */
export async function copyTree(src: string, dest: string, options: CopyTreeOptions = {}): Promise<string[]> {
  const files: string[] = [];
  const top = await stat(src);
  if (top.isFile()) {
    await copyFile(src, dest, fsConstants.COPYFILE_EXCL);
    await fsyncFile(dest);
    await options.onFile?.(".");
    return ["."];
  }
  if (!top.isDirectory())
    throw new StoreError({ message: `Cannot copy ${src}: it is neither a file nor a directory`, path: src });
  const walk = async (from: string, to: string, rel: string, depth: number): Promise<void> => {
    await mkdir(to);
    const entries = (await readdir(from)).sort();
    for (const name of entries) {
      if (depth === 0 && options.skip?.has(name)) continue;
      const s = join(from, name);
      const d = join(to, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await stat(s);
      if (st.isDirectory()) await walk(s, d, r, depth + 1);
      else if (st.isFile()) {
        await copyFile(s, d, fsConstants.COPYFILE_EXCL);
        await fsyncFile(d);
        files.push(r);
        await options.onFile?.(r);
      } else {
        throw new StoreError({
          message: `Cannot copy ${s}: only regular files and folders can be stored`,
          path: s,
        });
      }
    }
    await fsyncDir(to);
  };
  await walk(src, dest, "", 0);
  return files.sort();
}

/** Lists the files under `dir` recursively (relative, POSIX separators, sorted), skipping names `skip` rejects. */
export async function listFiles(
  dir: string,
  skip: (name: string) => boolean = () => false,
): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const ent of entries) {
      if (skip(ent.name)) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  await walk(dir);
  return out.sort();
}

// ---------------------------------------------------------------- process liveness

/** Core's rule (`isProcessAlive`), re-exported for the store's modules. */
export { isProcessAlive };

// ---------------------------------------------------------------- inter-process lock

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Give up after this many milliseconds. Default 30000. */
  timeoutMs?: number;
  /** Longest wait between two attempts. Default 100. */
  maxPollMs?: number;
}

/** What a lock's `owner.json` holds. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  acquired_at: string;
  /** Random token telling two holders apart. */
  token: string;
}

/** Name of the lock folder created inside the locked folder. */
export const LOCK_DIR_NAME = ".lock";
/** A lock folder without a readable owner this old is considered abandoned (its creator died right after `mkdir`). */
const OWNERLESS_GRACE_MS = 10_000;
/** A takeover guard older than this is abandoned (a takeover takes milliseconds). */
const GUARD_STALE_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(join(lockPath, "owner.json"), "utf8")) as LockOwner;
    return typeof owner?.pid === "number" && typeof owner.token === "string" ? owner : undefined;
  } catch {
    return undefined; // missing or being written
  }
}

async function ageMs(path: string): Promise<number | undefined> {
  try {
    return Date.now() - (await lstat(path)).mtimeMs;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Whether the lock at `lockPath` is abandoned: its owner process is dead, or it never got an owner. */
async function isStale(lockPath: string, owner: LockOwner | undefined): Promise<boolean> {
  if (owner) return owner.hostname === hostname() && !isProcessAlive(owner.pid);
  const age = await ageMs(lockPath);
  return age !== undefined && age > OWNERLESS_GRACE_MS;
}

/**
 * Removes an abandoned lock. A guard folder (`.lock.takeover`, itself taken with `mkdir`) makes sure
 * only one waiter removes it, and only if it still belongs to the dead owner that was seen.
 * @returns true when the lock was removed (or was already gone).
 */
async function breakStaleLock(lockPath: string, seen: LockOwner | undefined): Promise<boolean> {
  const guard = `${lockPath}.takeover`;
  try {
    await mkdir(guard);
  } catch (e) {
    if (errorCode(e) !== "EEXIST") throw e;
    const age = await ageMs(guard);
    if (age !== undefined && age > GUARD_STALE_MS) await rm(guard, { recursive: true, force: true });
    return false;
  }
  try {
    const now = await readOwner(lockPath);
    const same = seen ? now?.token === seen.token : now === undefined;
    if (!same) return false;
    if (!(await isStale(lockPath, now))) return false;
    await rm(lockPath, { recursive: true, force: true });
    return true;
  } finally {
    await rm(guard, { recursive: true, force: true });
  }
}

/**
 * Runs `fn` while holding an exclusive inter-process lock on the folder `dir`.
 *
 * The lock is a folder `<dir>/.lock` created with `mkdir` (atomic: exactly one process succeeds),
 * holding `owner.json` with the owner's pid, host, time and a token. Waiters poll with backoff. A lock
 * whose owner process is dead (same host, `process.kill(pid, 0)` fails with ESRCH) is taken over.
 * The lock is not reentrant: do not nest `withLock` on the same folder.
 * @throws StoreError (`store_lock_timeout`) naming the lock folder when it cannot be taken in time.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lockPath = resolve(dir, LOCK_DIR_NAME);
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  // Holders in this process queue up in memory first (no polling); the folder lock orders processes.
  const prev = localQueues.get(lockPath) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const tail = prev.then(() => mine);
  localQueues.set(lockPath, tail);
  let gaveUp = false;
  try {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), timeoutMs);
    });
    const first = await Promise.race([prev.then(() => "ready" as const), timedOut]);
    clearTimeout(timer);
    if (first === "timeout") {
      gaveUp = true;
      prev.then(release); // those queued behind us still wait for the holders ahead
      throw lockTimeoutError(lockPath, timeoutMs, await readOwner(lockPath));
    }
    const token = await acquireLock(lockPath, started + timeoutMs, timeoutMs, options.maxPollMs ?? 100);
    try {
      return await fn();
    } finally {
      await releaseLock(lockPath, token);
    }
  } finally {
    if (!gaveUp) release();
    if (localQueues.get(lockPath) === tail) localQueues.delete(lockPath);
  }
}

/** Default of {@link LockOptions.timeoutMs}. */
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/** In-process queue per lock folder: the promise that resolves when the last queued holder is done. */
const localQueues = new Map<string, Promise<void>>();

function lockTimeoutError(lockPath: string, timeoutMs: number, owner: LockOwner | undefined): StoreError {
  const held = owner ? ` (held by pid ${owner.pid} on ${owner.hostname} since ${owner.acquired_at})` : "";
  const secs = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)}s` : `${timeoutMs}ms`;
  return new StoreError({
    message: `Timed out after ${secs} waiting for the lock ${lockPath}${held}. If no lolpop process is using this store, delete ${lockPath} and retry.`,
    path: lockPath,
    code: "store_lock_timeout",
  });
}

async function acquireLock(
  lockPath: string,
  deadline: number,
  timeoutMs: number,
  maxPoll: number,
): Promise<string> {
  await mkdir(join(lockPath, ".."), { recursive: true });
  let delay = 2;
  for (;;) {
    try {
      await mkdir(lockPath);
      const owner: LockOwner = {
        pid: process.pid,
        hostname: hostname(),
        acquired_at: new Date().toISOString(),
        token: randomBytes(12).toString("hex"),
      };
      try {
        await writeFile(join(lockPath, "owner.json"), JSON.stringify(owner));
      } catch (e) {
        await rm(lockPath, { recursive: true, force: true });
        throw e;
      }
      return owner.token;
    } catch (e) {
      if (errorCode(e) !== "EEXIST") throw e;
    }
    const owner = await readOwner(lockPath);
    if ((await isStale(lockPath, owner)) && (await breakStaleLock(lockPath, owner))) continue;
    if (Date.now() > deadline) throw lockTimeoutError(lockPath, timeoutMs, owner);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, maxPoll);
  }
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  const owner = await readOwner(lockPath);
  if (owner && owner.token !== token) return; // taken over (should not happen while we are alive)
  await rm(lockPath, { recursive: true, force: true });
}

// ---------------------------------------------------------------- ids and names

let lastIdMs = 0;

/**
 * A new time-sortable id: `YYYYMMDDTHHMMSSmmmZ-<10 hex>` (UTC). Ids made later sort after earlier ones
 * (strictly within one process, to the millisecond across processes).
 */
export function newSortableId(): string {
  const ms = Math.max(Date.now(), lastIdMs + 1);
  lastIdMs = ms;
  const iso = new Date(ms).toISOString(); // 2025-01-02T03:04:05.678Z
  const compact = iso.replace(/[-:]/g, "").replace(".", "");
  return `${compact}-${randomBytes(5).toString("hex")}`;
}

/** A name usable as one path segment: letters, digits, `.`, `_`, `-`, not starting with `.`. */
export const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Validates a relative artifact path (no `..`, not absolute, no empty segments); returns its segments. */
export function safeRelativePath(name: string, what: string): string[] {
  const parts = name.split(/[\\/]/);
  if (!name || isAbsolute(name) || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new StoreError({
      message: `${what} "${name}" must be a relative path without "." or ".." segments`,
      code: "store_invalid_name",
    });
  }
  return parts;
}

/** The pid in a temp entry name `.tmp-<pid>-<random>`, or undefined for other names. */
export function tempOwnerPid(name: string): number | undefined {
  const m = /^\.tmp-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** A temp entry name `.tmp-<pid>-<random>` (its pid lets a later process clean it up once the owner is dead). */
export function tempName(): string {
  return `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
}

/**
 * Crash-injection points for tests only. When the environment variable `LOLPOP_TEST_CRASH_AT`
 * equals `point`, the process kills itself with SIGKILL (no cleanup, like a power cut for the store).
 * When `LOLPOP_TEST_PAUSE_AT` equals `point`, it writes the line `lolpop-test-paused-at <point>` on
 * stderr and blocks (event loop included) so that a test can kill it from outside exactly there;
 * nobody killing it within 10 minutes is an error. Never set either outside tests.
 */
export function crashPoint(point: string): void {
  if (process.env.LOLPOP_TEST_CRASH_AT === point) process.kill(process.pid, "SIGKILL");
  if (process.env.LOLPOP_TEST_PAUSE_AT === point) {
    writeSync(2, `lolpop-test-paused-at ${point}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000);
    throw new Error(
      `paused at crash point ${point} (LOLPOP_TEST_PAUSE_AT) for 10 minutes and nobody killed the process`,
    );
  }
}
