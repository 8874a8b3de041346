/**
 * PythonWorker: one long-lived Python process speaking JSON-RPC 2.0 over stdio, with binary buffers
 * (see protocol.ts). Calls run one at a time in order; each can have a timeout and an AbortSignal.
 * The worker starts on the first call (or `start()`), and a new one is started after a crash,
 * a timeout or a kill. Idle workers do not keep Node's event loop alive.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { endianness } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CancelledError, redactText } from "@lolpop/core";
import { findPython, type PythonLocation } from "./find-python.js";
import { killNow, trackChild } from "./process-cleanup.js";
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from "./protocol.js";
import { PythonCallError } from "./python-call-error.js";
import { PythonModuleMissingError } from "./python-module-missing-error.js";
import { PythonNotFoundError } from "./python-not-found-error.js";
import { PythonTimeoutError } from "./python-timeout-error.js";
import { PythonWorkerError } from "./python-worker-error.js";
import {
  installSpec,
  type PythonRequirement,
  parseRelease,
  pipInstallCommand,
  unmetRequirements,
} from "./requirements.js";

/** The worker's Python entry point, shipped in this package's `python/` folder. */
export const WORKER_SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "python",
  "lolpop_worker.py",
);

/** A Python file whose public functions become worker methods `<name>.<function>`. */
export interface PythonHandlerModule {
  /** Method prefix, e.g. `catboost` gives `catboost.fit`. */
  name: string;
  /** Absolute path of the `.py` file. Each function is called as `function(params, call)`. */
  path: string;
}

/** Options of {@link PythonWorker}. */
export interface PythonWorkerOptions {
  /** Interpreter to use (path or command); when unset it is found by {@link findPython}. */
  python?: string;
  /** How to name the `python` option in messages, e.g. `train.model_trainer.config.python`. */
  pythonOptionName?: string;
  /** Project root for the `.venv` lookup. Default: `process.cwd()`. */
  projectRoot?: string;
  /** Environment for interpreter discovery and the worker process. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Handler modules loaded at start. */
  modules?: readonly PythonHandlerModule[];
  /** Distributions checked at start; missing or mismatched ones are a {@link PythonModuleMissingError}. */
  requirements?: readonly PythonRequirement[];
  /** A sentence appended to install instructions, e.g. "Or run `npx lolpop-catboost-setup`.". */
  installHint?: string;
  /** Oldest Python accepted. Default `3.9`. */
  minPythonVersion?: string;
  /** Time allowed for the interpreter to start, check requirements and import the handlers. Default 120000 ms. */
  startTimeoutMs?: number;
  /** Default timeout of each call; undefined = none. A call's own `timeoutMs` wins. */
  callTimeoutMs?: number;
  /** After a cancel, how long the running call may take to stop before the worker is killed. Default 5000 ms. */
  cancelGraceMs?: number;
  /** After SIGTERM, how long before SIGKILL. Default 2000 ms. */
  killGraceMs?: number;
  /** Lines of the worker's stderr kept for error messages. Default 40. */
  stderrLines?: number;
  /** Receives each line the worker writes to stderr (Python warnings, library logs). */
  onStderr?: (line: string) => void;
  /** Name used in messages. Default `python`. */
  name?: string;
}

/** Options of one call. */
export interface PythonCallOptions {
  /** Timeout of this call in milliseconds (0 or undefined: the worker's `callTimeoutMs`). */
  timeoutMs?: number;
  /** Cancels the call: a queued call is dropped, a running one is interrupted in Python. */
  signal?: AbortSignal;
  /** Receives notifications the handler sends with `call.notify(method, data)`. */
  onNotification?: (method: string, data: unknown) => void;
}

/** What a started worker reports. */
export interface PythonWorkerInfo {
  pid: number;
  /** Interpreter path. */
  python: string;
  /** Where the interpreter was found. */
  pythonSource: string;
  pythonVersion: string;
  /** `sys.executable` as Python sees it. */
  executable: string;
  /** Installed versions of the required distributions (null: not installed). */
  versions: Record<string, string | null>;
  /** Methods of the loaded handler modules. */
  methods: string[];
}

interface Job {
  method: string;
  params: unknown;
  options: PythonCallOptions;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  id?: number;
  settled: boolean;
  timer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
  stderrMark: number;
  removeAbort?: () => void;
  internal?: boolean;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  location: PythonLocation;
  decoder: FrameDecoder;
  ready?: { resolve: (hello: Record<string, unknown>) => void; reject: (e: unknown) => void };
  inflight: Map<number, Job>;
  exited: boolean;
  stopReason?: string;
  refd: boolean;
}

const DEFAULT_STDERR_LINES = 40;

/** A long-lived Python worker process. */
export class PythonWorker {
  readonly options: Readonly<PythonWorkerOptions>;
  #proc: Proc | undefined;
  #starting: Promise<PythonWorkerInfo> | undefined;
  #info: PythonWorkerInfo | undefined;
  #queue: Job[] = [];
  #active: Job | undefined;
  #nextId = 1;
  #generation = 0;
  #closed = false;
  #stderr: string[] = [];
  #stderrCount = 0;
  #partialLine = "";

  constructor(options: PythonWorkerOptions = {}) {
    this.options = { ...options };
  }

  /** Pid of the running worker, if any. */
  get pid(): number | undefined {
    return this.#proc && !this.#proc.exited ? this.#proc.pid : undefined;
  }

  /** Incremented each time a new worker process is started (state kept in Python is lost between generations). */
  get generation(): number {
    return this.#generation;
  }

  /** What the running worker reported at start, if it is running. */
  get info(): PythonWorkerInfo | undefined {
    // Not the info of a worker that has exited but whose exit is still being reported.
    return this.#proc && !this.#proc.exited ? this.#info : undefined;
  }

  /** True when calls are queued or running. */
  get busy(): boolean {
    return this.#active !== undefined || this.#queue.length > 0;
  }

  /** The last lines the worker wrote to stderr. */
  stderrTail(lines = this.options.stderrLines ?? DEFAULT_STDERR_LINES): string {
    const all = this.#partialLine ? [...this.#stderr, this.#partialLine] : this.#stderr;
    return all.slice(-lines).join("\n");
  }

  #name(): string {
    return this.options.name ?? "python";
  }

  #command(): string {
    const py = this.#proc?.location.path ?? this.options.python ?? "python";
    return `${py} ${WORKER_SCRIPT}`;
  }

  /** Starts the worker now (otherwise the first call does). Resolves when the handlers are loaded. */
  start(): Promise<PythonWorkerInfo> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#info && this.#proc && !this.#proc.exited) return Promise.resolve(this.#info);
    if (!this.#starting) {
      const p = this.#doStart();
      this.#starting = p;
      p.then(
        () => {
          if (this.#starting === p) this.#starting = undefined;
        },
        () => {
          if (this.#starting === p) this.#starting = undefined;
        },
      );
    }
    return this.#starting;
  }

  #closedError(): PythonWorkerError {
    return new PythonWorkerError({
      command: this.#command(),
      message: `the ${this.#name()} worker was closed; create a new PythonWorker`,
    });
  }

  async #doStart(): Promise<PythonWorkerInfo> {
    if (endianness() !== "LE")
      throw new PythonWorkerError({
        command: WORKER_SCRIPT,
        message: "@lolpop/python-bridge needs a little-endian machine",
      });
    const location = findPython({
      python: this.options.python,
      optionName: this.options.pythonOptionName,
      projectRoot: this.options.projectRoot,
      env: this.options.env,
    });
    const proc = this.#spawn(location);
    const startTimeout = this.options.startTimeoutMs ?? 120_000;
    const timer = setTimeout(
      () => this.#stop(proc, `it did not start within ${startTimeout} ms`, "SIGKILL"),
      startTimeout,
    );
    try {
      const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
        proc.ready = { resolve, reject };
      });
      if (hello.protocol !== PROTOCOL_VERSION)
        throw this.#workerError(
          `the worker speaks protocol ${String(hello.protocol)}, this @lolpop/python-bridge speaks ${PROTOCOL_VERSION}: reinstall @lolpop/python-bridge`,
          proc,
        );
      const version = String(hello.python_version ?? "");
      const min = this.options.minPythonVersion ?? "3.9";
      const v = parseRelease(version);
      const m = parseRelease(min);
      if (v[0]! < m[0]! || (v[0] === m[0] && (v[1] ?? 0) < (m[1] ?? 0))) {
        throw new PythonNotFoundError({
          message: `${location.path} (from ${location.source}) is Python ${version}; Python ${min} or newer is needed. Point ${this.options.pythonOptionName ?? "LOLPOP_PYTHON"} at a newer interpreter or recreate the project's .venv with one.`,
          tried: [{ candidate: location.path, source: location.source, problem: `is Python ${version}` }],
        });
      }
      const requirements = this.options.requirements ?? [];
      let versions: Record<string, string | null> = {};
      if (requirements.length) {
        versions = (await this.#internalCall(proc, "lolpop.versions", {
          distributions: requirements.map((r) => r.name),
        })) as Record<string, string | null>;
        const unmet = unmetRequirements(requirements, versions);
        if (unmet.length) throw this.#missingError(location, requirements, unmet);
      }
      const methods: string[] = [];
      for (const mod of this.options.modules ?? []) {
        try {
          const r = (await this.#internalCall(proc, "lolpop.load", { name: mod.name, path: mod.path })) as {
            methods: string[];
          };
          methods.push(...r.methods.map((f) => `${mod.name}.${f}`));
        } catch (e) {
          if (
            PythonCallError.isInstance(e) &&
            (e.pythonType === "ModuleNotFoundError" || e.pythonType === "ImportError")
          ) {
            const lead = `${mod.path} could not be imported (${e.pythonType}: ${e.pythonMessage}).`;
            const missing = /No module named '([^'.]+)/.exec(e.pythonMessage)?.[1];
            const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "_");
            const known = missing ? requirements.find((r) => norm(r.name) === norm(missing)) : undefined;
            if (missing && !known) {
              // A module no requirement names (a dependency of one, or a module whose
              // distribution has another name): name it as is.
              throw this.#missingError(
                location,
                [{ name: missing }],
                [{ name: missing, required: "", found: null }],
                lead,
                e,
              );
            }
            const reqs = known ? [known] : requirements;
            throw this.#missingError(
              location,
              reqs,
              reqs.map((r) => ({ name: r.name, required: r.version ?? "", found: versions[r.name] ?? null })),
              lead,
              e,
              !known,
            );
          }
          throw e;
        }
      }
      this.#info = {
        pid: proc.pid,
        python: location.path,
        pythonSource: location.source,
        pythonVersion: version,
        executable: String(hello.executable ?? location.path),
        versions,
        methods,
      };
      this.#setRef(proc, this.busy);
      return this.#info;
    } catch (e) {
      this.#stop(proc, "start failed", "SIGKILL");
      await this.#waitExit(proc, 5000);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  #missingError(
    location: PythonLocation,
    requirements: readonly PythonRequirement[],
    unmet: Array<{ name: string; required: string; found: string | null }>,
    lead?: string,
    cause?: unknown,
    broken = false,
  ): PythonModuleMissingError {
    const toInstall = requirements.filter((r) => unmet.some((u) => u.name === r.name));
    const command = pipInstallCommand(location.path, toInstall.length ? toInstall : requirements, broken);
    const what = broken
      ? `the installed ${unmet.map((u) => `${u.name} ${u.found ?? "(missing)"}`).join(", ")} may be broken`
      : unmet
          .map((u) =>
            u.found === null
              ? `${u.name} is not installed`
              : `${u.name} ${u.found} is installed but ${u.name}${u.required} is needed`,
          )
          .join("; ");
    const hint = this.options.installHint ? ` ${this.options.installHint}` : "";
    return new PythonModuleMissingError({
      message:
        `${lead ? `${lead} ` : ""}${what} in ${location.path} (from ${location.source}). ${broken ? "Reinstall" : "Install"} with:\n  ${command}\n${hint.trim() ? `${hint.trim()}` : ""}`.trimEnd(),
      python: location.path,
      unmet,
      installCommand: command,
      cause,
    });
  }

  #spawn(location: PythonLocation): Proc {
    const env = {
      ...(this.options.env ?? process.env),
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONIOENCODING: "utf-8",
      LOLPOP_PARENT_PID: String(process.pid),
    };
    let child: ChildProcess;
    try {
      child = spawn(location.path, ["-B", WORKER_SCRIPT], {
        stdio: ["pipe", "pipe", "pipe"],
        env,
        detached: process.platform !== "win32",
        windowsHide: true,
      });
    } catch (e) {
      throw new PythonNotFoundError({
        message: `cannot start ${location.path} (from ${location.source}): ${(e as Error).message}`,
        tried: [{ candidate: location.path, source: location.source, problem: (e as Error).message }],
        cause: e,
      });
    }
    this.#generation++;
    this.#stderr = [];
    this.#partialLine = "";
    const proc: Proc = {
      child,
      pid: child.pid ?? -1,
      location,
      decoder: new FrameDecoder(),
      inflight: new Map(),
      exited: false,
      refd: true,
    };
    this.#proc = proc;
    // The previous worker's info goes with it, even if its exit is still being reported.
    this.#info = undefined;
    if (child.pid !== undefined) trackChild(child);
    child.stdin!.on("error", () => {
      // EPIPE when the worker died; the exit handler reports it.
    });
    child.stdout!.on("data", (chunk: Buffer) => {
      let frames: ReturnType<FrameDecoder["push"]>;
      try {
        frames = proc.decoder.push(chunk);
      } catch (e) {
        this.#stop(proc, `protocol error: ${(e as Error).message}`, "SIGKILL");
        return;
      }
      for (const f of frames) this.#onMessage(proc, f.message);
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => this.#onStderr(text));
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (proc.exited) return;
      proc.exited = true;
      const e =
        err.code === "ENOENT" || err.code === "EACCES"
          ? new PythonNotFoundError({
              message: `cannot start ${location.path} (from ${location.source}): ${err.message}`,
              tried: [{ candidate: location.path, source: location.source, problem: err.message }],
              cause: err,
            })
          : this.#workerError(`cannot start ${location.path}: ${err.message}`, proc, err);
      this.#onGone(proc, e);
    });
    child.on("exit", (code, signal) => {
      if (proc.exited) return;
      proc.exited = true;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const report = () => {
        const why = proc.stopReason ? ` (${proc.stopReason})` : "";
        this.#onGone(
          proc,
          undefined,
          `the ${this.#name()} worker (pid ${proc.pid}) ${how}${why}`,
          code,
          signal,
        );
      };
      // 'exit' can come before the last stdout/stderr bytes were read: let the pipes drain first
      // (briefly: a grandchild could hold them open), so the error shows the worker's last words.
      const pipes = [child.stdout!, child.stderr!].filter((p) => !p.readableEnded && !p.destroyed);
      if (!pipes.length) return report();
      let left = pipes.length;
      const timer = setTimeout(() => {
        left = -1;
        report();
      }, 500);
      for (const p of pipes)
        p.once("close", () => {
          if (--left === 0) {
            clearTimeout(timer);
            report();
          }
        });
    });
    return proc;
  }

  #onStderr(text: string): void {
    const parts = (this.#partialLine + text).split(/\r?\n/);
    this.#partialLine = parts.pop() ?? "";
    const keep = Math.max(this.options.stderrLines ?? DEFAULT_STDERR_LINES, 200);
    for (const line of parts) {
      this.#stderr.push(line);
      this.#stderrCount++;
      this.options.onStderr?.(line);
    }
    if (this.#stderr.length > keep) this.#stderr.splice(0, this.#stderr.length - keep);
  }

  #workerError(
    message: string,
    proc: Proc | undefined,
    cause?: unknown,
    exitCode?: number | null,
    signal?: string | null,
  ): PythonWorkerError {
    const tail = this.stderrTail();
    return new PythonWorkerError({
      command: proc ? `${proc.location.path} ${WORKER_SCRIPT}` : this.#command(),
      message: redactText(tail ? `${message}\nworker stderr (last lines):\n${indent(tail)}` : message),
      pid: proc?.pid,
      exitCode,
      signal,
      stderr: redactText(tail),
      cause,
    });
  }

  /** The worker process is gone: fail what waited on it and let the next call start a new one. */
  #onGone(
    proc: Proc,
    error?: unknown,
    message?: string,
    exitCode?: number | null,
    signal?: string | null,
  ): void {
    if (this.#partialLine) {
      this.#stderr.push(this.#partialLine);
      this.#partialLine = "";
    }
    if (this.#proc === proc) {
      this.#proc = undefined;
      this.#info = undefined;
    }
    const err = error ?? this.#workerError(message ?? "the worker exited", proc, undefined, exitCode, signal);
    if (proc.ready) {
      proc.ready.reject(err);
      proc.ready = undefined;
    }
    for (const job of proc.inflight.values()) {
      clearTimeout(job.timer);
      clearTimeout(job.graceTimer);
      if (!job.settled) {
        job.settled = true;
        job.removeAbort?.();
        const during =
          error === undefined && !job.internal
            ? this.#workerError(
                `${message ?? "the worker exited"} while running "${job.method}"`,
                proc,
                undefined,
                exitCode,
                signal,
              )
            : err;
        job.reject(during);
      }
      if (this.#active === job) this.#active = undefined;
    }
    proc.inflight.clear();
    this.#pump();
  }

  #onMessage(proc: Proc, msg: Record<string, unknown>): void {
    if (msg.method === "lolpop.ready") {
      proc.ready?.resolve((msg.params ?? {}) as Record<string, unknown>);
      proc.ready = undefined;
      return;
    }
    if (msg.id === undefined || msg.id === null) {
      // A notification from a handler: {id, data}.
      const p = (msg.params ?? {}) as { id?: number; data?: unknown };
      const job = p.id !== undefined ? proc.inflight.get(p.id) : undefined;
      if (job && !job.settled) job.options.onNotification?.(String(msg.method), p.data);
      return;
    }
    const id = msg.id as number;
    const job = proc.inflight.get(id);
    if (!job) return;
    proc.inflight.delete(id);
    clearTimeout(job.timer);
    clearTimeout(job.graceTimer);
    job.removeAbort?.();
    if (this.#active === job) this.#active = undefined;
    if (!job.settled) {
      job.settled = true;
      if (msg.error) job.reject(this.#callError(proc, job, msg.error as RpcError));
      else job.resolve(msg.result);
    }
    if (!this.busy && proc.inflight.size === 0) this.#setRef(proc, false);
    this.#pump();
  }

  #callError(proc: Proc, job: Job, error: RpcError): unknown {
    if (error.code === -32800) return new CancelledError({ path: job.method, reason: "cancelled" });
    const data = error.data ?? {};
    // Python sends what it wrote to sys.stderr during the call; the pipe may not have delivered it yet.
    const fromPipe = this.#stderrSince(job.stderrMark);
    const fromPython = (data.stderr ?? "").trimEnd();
    const tail = (fromPython.length >= fromPipe.length ? fromPython : fromPipe)
      .split("\n")
      .slice(-(this.options.stderrLines ?? DEFAULT_STDERR_LINES))
      .join("\n");
    const type = data.type;
    const parts = [`Python call "${job.method}" failed: ${type ? `${type}: ` : ""}${error.message}`];
    if (data.traceback) parts.push(`Python traceback:\n${indent(data.traceback.trimEnd())}`);
    if (tail) parts.push(`worker stderr (last lines):\n${indent(tail)}`);
    return new PythonCallError({
      command: `${proc.location.path} ${WORKER_SCRIPT}`,
      message: redactText(parts.join("\n")),
      method: job.method,
      pythonType: type,
      pythonMessage: redactText(String(error.message ?? "")),
      traceback: data.traceback ? redactText(data.traceback) : undefined,
      rpcCode: error.code,
      stderr: redactText(tail),
    });
  }

  #stderrSince(mark: number): string {
    const fresh = Math.min(this.#stderrCount - mark, this.#stderr.length);
    const lines = this.#stderr.slice(this.#stderr.length - fresh);
    if (this.#partialLine) lines.push(this.#partialLine);
    return lines.slice(-(this.options.stderrLines ?? DEFAULT_STDERR_LINES)).join("\n");
  }

  /** A call made during start, before user calls run (no queue, no timeout other than start's). */
  #internalCall(proc: Proc, method: string, params: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const job: Job = {
        method,
        params,
        options: {},
        resolve,
        reject,
        settled: false,
        stderrMark: this.#stderrCount,
        internal: true,
      };
      this.#send(proc, job);
    });
  }

  #send(proc: Proc, job: Job): void {
    const id = this.#nextId++;
    job.id = id;
    proc.inflight.set(id, job);
    let chunks: Uint8Array[];
    try {
      chunks = encodeFrame({ jsonrpc: "2.0", id, method: job.method, params: job.params ?? {} });
    } catch (e) {
      proc.inflight.delete(id);
      job.settled = true;
      job.reject(e);
      return;
    }
    const stdin = proc.child.stdin!;
    stdin.cork();
    for (const c of chunks) stdin.write(c);
    stdin.uncork();
  }

  #setRef(proc: Proc, on: boolean): void {
    if (proc.refd === on || proc.exited) return;
    proc.refd = on;
    const c = proc.child;
    const handles = [c, c.stdin, c.stdout, c.stderr] as Array<{
      ref?: () => void;
      unref?: () => void;
    } | null>;
    for (const h of handles) {
      if (!h) continue;
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  /**
   * Calls `method` with `params` (typed arrays travel as binary; use {@link encodeTable} for tables)
   * and resolves with its result (typed arrays back for numpy arrays and bytes).
   * @throws PythonCallError for a Python exception (with its traceback), PythonTimeoutError,
   * PythonWorkerError when the worker dies, CancelledError when `signal` aborts, and the start errors
   * (PythonNotFoundError, PythonModuleMissingError).
   */
  call<T = unknown>(method: string, params?: unknown, options: PythonCallOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (options.signal?.aborted)
      return Promise.reject(new CancelledError({ path: method, reason: options.signal.reason }));
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        method,
        params,
        options,
        resolve: resolve as (v: unknown) => void,
        reject,
        settled: false,
        stderrMark: 0,
      };
      if (options.signal) {
        const signal = options.signal;
        const onAbort = () => this.#abort(job, signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        job.removeAbort = () => signal.removeEventListener("abort", onAbort);
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  #abort(job: Job, reason: unknown): void {
    if (job.settled) return;
    job.settled = true;
    job.removeAbort?.();
    job.reject(new CancelledError({ path: job.method, reason }));
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      return;
    }
    const proc = this.#proc;
    if (!proc || job.id === undefined || !proc.inflight.has(job.id)) return;
    // Ask Python to interrupt the running call; kill the worker if it does not stop in time.
    try {
      const stdin = proc.child.stdin!;
      for (const c of encodeFrame({ jsonrpc: "2.0", method: "$/cancel", params: { id: job.id } }))
        stdin.write(c);
    } catch {
      // the worker is going away anyway
    }
    clearTimeout(job.timer);
    const grace = this.options.cancelGraceMs ?? 5000;
    job.graceTimer = setTimeout(() => {
      if (proc.inflight.has(job.id!))
        this.#stop(proc, `"${job.method}" did not stop within ${grace} ms of being cancelled`, "SIGKILL");
    }, grace);
  }

  #pump(): void {
    if (this.#active || this.#closed) return;
    const job = this.#queue.shift();
    if (!job) {
      if (this.#proc && this.#proc.inflight.size === 0) this.#setRef(this.#proc, false);
      return;
    }
    this.#active = job;
    const proceed = (proc: Proc) => {
      if (job.settled) {
        // Cancelled while the worker was starting.
        if (this.#active === job) this.#active = undefined;
        this.#pump();
        return;
      }
      this.#setRef(proc, true);
      job.stderrMark = this.#stderrCount;
      this.#send(proc, job);
      const timeout = job.options.timeoutMs || this.options.callTimeoutMs;
      if (timeout && timeout > 0 && !job.settled) {
        job.timer = setTimeout(() => this.#timeout(proc, job, timeout), timeout);
      }
    };
    if (this.#proc && !this.#proc.exited && this.#info) {
      proceed(this.#proc);
      return;
    }
    this.start().then(
      () => {
        const proc = this.#proc;
        if (!proc || proc.exited) {
          if (this.#active === job) this.#active = undefined;
          if (!job.settled) {
            job.settled = true;
            job.removeAbort?.();
            job.reject(this.#workerError(`the ${this.#name()} worker exited right after starting`, proc));
          }
          this.#pump();
          return;
        }
        proceed(proc);
      },
      (e) => {
        if (this.#active === job) this.#active = undefined;
        if (!job.settled) {
          job.settled = true;
          job.removeAbort?.();
          job.reject(e);
        }
        this.#pump();
      },
    );
  }

  #timeout(proc: Proc, job: Job, timeoutMs: number): void {
    if (job.settled) return;
    job.settled = true;
    job.removeAbort?.();
    const tail = this.#stderrSince(job.stderrMark);
    const seconds = timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
    const message = `Python call "${job.method}" did not finish within ${seconds}; the ${this.#name()} worker (pid ${proc.pid}) was stopped. Raise the timeout if the work is expected to take longer.`;
    job.reject(
      new PythonTimeoutError({
        command: `${proc.location.path} ${WORKER_SCRIPT}`,
        message: redactText(tail ? `${message}\nworker stderr (last lines):\n${indent(tail)}` : message),
        method: job.method,
        timeoutMs,
        pid: proc.pid,
        stderr: redactText(tail),
      }),
    );
    this.#stop(proc, `"${job.method}" timed out after ${seconds}`);
  }

  /** Stops a worker process: SIGTERM, then SIGKILL after `killGraceMs` (or SIGKILL at once). */
  #stop(proc: Proc, reason: string, signal: NodeJS.Signals = "SIGTERM"): void {
    if (proc.exited) return;
    proc.stopReason ??= reason;
    this.#setRef(proc, true);
    killNow(proc.child, signal);
    if (signal !== "SIGKILL") {
      const t = setTimeout(() => {
        if (!proc.exited) killNow(proc.child, "SIGKILL");
      }, this.options.killGraceMs ?? 2000);
      proc.child.once("exit", () => clearTimeout(t));
    }
  }

  #waitExit(proc: Proc, ms: number): Promise<void> {
    if (proc.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        killNow(proc.child, "SIGKILL");
        resolve();
      }, ms);
      proc.child.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      proc.child.once("error", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * Stops the worker process now (it restarts on the next call). Running and queued calls fail
   * with a PythonWorkerError. Resolves when the process has exited.
   */
  async kill(reason = "killed on request"): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exited) return;
    this.#stop(proc, reason, "SIGKILL");
    await this.#waitExit(proc, 5000);
  }

  /**
   * Closes the worker for good: queued calls are rejected, stdin is closed so the worker exits
   * on its own, and it is killed if it has not exited within `timeoutMs` (default 2000).
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      if (job.settled) continue;
      job.settled = true;
      job.removeAbort?.();
      job.reject(this.#closedError());
    }
    const starting = this.#starting;
    if (starting) await starting.catch(() => {});
    const proc = this.#proc;
    if (!proc || proc.exited) return;
    proc.stopReason ??= "closed";
    this.#setRef(proc, true);
    proc.child.stdin!.end();
    const ms = options.timeoutMs ?? 2000;
    await this.#waitExit(proc, ms);
  }
}

interface RpcError {
  code: number;
  message: string;
  data?: { type?: string; traceback?: string; module?: string; stderr?: string };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

/** The install spec strings of requirements (for hints), e.g. `catboost==1.2.10 numpy==2.4.6`. */
export function requirementsLine(requirements: readonly PythonRequirement[]): string {
  return requirements.map(installSpec).join(" ");
}
