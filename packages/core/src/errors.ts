/**
 * lolpop errors. Every error carries a stable `code`, structured `details` and a marker symbol, so
 * `XError.isInstance(e)` works across copies of `@lolpop/core` (never rely on `instanceof`).
 */
import { apiMismatch } from "./manifest.js";

const BASE_MARKER = Symbol.for("lolpop.error");

function marker(name: string): symbol {
  return Symbol.for(`lolpop.error.${name}`);
}

function hasMarker(value: unknown, sym: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[sym] === true;
}

/** Options shared by every lolpop error constructor. */
export interface LolpopErrorOptions {
  /** Human readable message; must already be redacted (never include secret values). */
  message: string;
  /** Stable machine readable code, e.g. `config_invalid`. */
  code?: string;
  /** Structured details for tools (`--json` output). Must not contain secrets. */
  details?: Record<string, unknown>;
  /** The error this one wraps. */
  cause?: unknown;
}

/** Base class of every error lolpop throws on purpose. */
export class LolpopError extends Error {
  private readonly [BASE_MARKER] = true;
  /** Stable machine readable code. */
  readonly code: string;
  /** Structured, secret-free details. */
  readonly details: Record<string, unknown>;

  constructor({ message, code = "lolpop_error", details = {}, cause }: LolpopErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "LolpopError";
    this.code = code;
    this.details = details;
  }

  /** True for any lolpop error, from any copy of `@lolpop/core`. */
  static isInstance(error: unknown): error is LolpopError {
    return hasMarker(error, BASE_MARKER);
  }
}

/** One problem found in a configuration file; a {@link ConfigError} carries all of them. */
export interface ConfigIssue {
  /** Machine readable kind of problem, e.g. `yaml_syntax`, `unknown_type`, `invalid_value`, `missing_env`. */
  code: string;
  /** Dotted YAML path of the offending value, e.g. `train.model_trainer.config.max_depth`. Empty for the root. */
  path: string;
  /** What is wrong and what to do, without secret values. */
  message: string;
  /** Config file the issue is in. */
  file?: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

/** Formats an issue as `file:line:col path: message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  let where = issue.file ?? "";
  if (issue.line !== undefined)
    where += `${where ? ":" : "line "}${issue.line}${issue.column ? `:${issue.column}` : ""}`;
  const path = issue.path ? `${issue.path}: ` : "";
  return `${where ? `${where} ` : ""}${path}${issue.message}`;
}

const CONFIG_MARKER = marker("ConfigError");

/** The configuration is invalid. Carries every problem found, each with file, line and YAML path. */
export class ConfigError extends LolpopError {
  private readonly [CONFIG_MARKER] = true;
  /** All problems found (validation reports them all at once). */
  readonly issues: ConfigIssue[];

  constructor({
    issues,
    message,
    code = "config_invalid",
    cause,
  }: { issues: ConfigIssue[]; message?: string; code?: string; cause?: unknown }) {
    const first = issues[0];
    const text =
      message ??
      (issues.length === 1 && first
        ? `Invalid configuration: ${formatConfigIssue(first)}`
        : `Invalid configuration (${issues.length} problems):\n${issues.map((i) => `  - ${formatConfigIssue(i)}`).join("\n")}`);
    super({ message: text, code, details: { issues }, cause });
    this.name = "ConfigError";
    this.issues = issues;
  }

  static override isInstance(error: unknown): error is ConfigError {
    return hasMarker(error, CONFIG_MARKER);
  }
}

const UNKNOWN_MARKER = marker("UnknownComponentError");

/** A config names a component, pipeline or runner type that no loaded plugin provides. */
export class UnknownComponentError extends ConfigError {
  private readonly [UNKNOWN_MARKER] = true;

  constructor({ issues, message }: { issues: ConfigIssue[]; message?: string }) {
    super({ issues, message, code: "unknown_component" });
    this.name = "UnknownComponentError";
  }

  static override isInstance(error: unknown): error is UnknownComponentError {
    return hasMarker(error, UNKNOWN_MARKER);
  }
}

const PLUGIN_LOAD_MARKER = marker("PluginLoadError");

/** A plugin package could not be resolved or imported, or its entry is not a lolpop plugin. */
export class PluginLoadError extends LolpopError {
  private readonly [PLUGIN_LOAD_MARKER] = true;
  constructor(opts: { plugin: string; message: string; cause?: unknown; details?: Record<string, unknown> }) {
    super({
      message: opts.message,
      code: "plugin_load_failed",
      details: { plugin: opts.plugin, ...opts.details },
      cause: opts.cause,
    });
    this.name = "PluginLoadError";
  }
  static override isInstance(error: unknown): error is PluginLoadError {
    return hasMarker(error, PLUGIN_LOAD_MARKER);
  }
}

const INCOMPATIBLE_MARKER = marker("IncompatiblePluginError");

/** A plugin targets another plugin API version than this `@lolpop/core`. */
export class IncompatiblePluginError extends LolpopError {
  private readonly [INCOMPATIBLE_MARKER] = true;
  constructor(opts: {
    plugin: string;
    pluginApiVersion: unknown;
    coreApiVersion: number;
    coreVersion: string;
  }) {
    const { message } = apiMismatch(opts.plugin, opts.pluginApiVersion, {
      version: opts.coreVersion,
      apiVersion: opts.coreApiVersion,
    });
    super({
      message,
      code: "plugin_incompatible",
      details: { ...opts },
    });
    this.name = "IncompatiblePluginError";
  }
  static override isInstance(error: unknown): error is IncompatiblePluginError {
    return hasMarker(error, INCOMPATIBLE_MARKER);
  }
}

const CONFLICT_MARKER = marker("PluginConflictError");

/** Two plugins provide a type of the same name; the bare name is ambiguous. */
export class PluginConflictError extends LolpopError {
  private readonly [CONFLICT_MARKER] = true;
  constructor(opts: { type: string; plugins: string[] }) {
    const qualified = opts.plugins.map((p) => `${p}/${opts.type}`).join(" or ");
    super({
      message: `Type ${opts.type} is provided by two plugins: ${opts.plugins.join(" and ")}. Write the qualified name (${qualified}) or remove one of the plugins.`,
      code: "plugin_conflict",
      details: { ...opts },
    });
    this.name = "PluginConflictError";
  }
  static override isInstance(error: unknown): error is PluginConflictError {
    return hasMarker(error, CONFLICT_MARKER);
  }
}

const REMOTE_MARKER = marker("RemoteServiceError");

/** A remote service (MLflow, a registry...) answered with an error or could not be reached. */
export class RemoteServiceError extends LolpopError {
  private readonly [REMOTE_MARKER] = true;
  /** HTTP status, when there was a response. */
  readonly status?: number;
  /** The service's own error code (e.g. MLflow's `RESOURCE_DOES_NOT_EXIST`). */
  readonly serviceCode?: string;
  constructor(opts: {
    service: string;
    message: string;
    status?: number;
    serviceCode?: string;
    cause?: unknown;
    details?: Record<string, unknown>;
  }) {
    super({
      message: opts.message,
      code: "remote_service_error",
      details: { service: opts.service, status: opts.status, serviceCode: opts.serviceCode, ...opts.details },
      cause: opts.cause,
    });
    this.name = "RemoteServiceError";
    this.status = opts.status;
    this.serviceCode = opts.serviceCode;
  }
  static override isInstance(error: unknown): error is RemoteServiceError {
    return hasMarker(error, REMOTE_MARKER);
  }
}

const SUBPROCESS_MARKER = marker("SubprocessError");

/** A child process (a Python worker, a tool) failed; `stderr` keeps its last output. */
export class SubprocessError extends LolpopError {
  private readonly [SUBPROCESS_MARKER] = true;
  readonly exitCode?: number | null;
  readonly stderr?: string;
  constructor(opts: {
    command: string;
    message: string;
    exitCode?: number | null;
    signal?: string | null;
    stderr?: string;
    cause?: unknown;
  }) {
    super({
      message: opts.message,
      code: "subprocess_failed",
      details: { command: opts.command, exitCode: opts.exitCode, signal: opts.signal },
      cause: opts.cause,
    });
    this.name = "SubprocessError";
    this.exitCode = opts.exitCode;
    this.stderr = opts.stderr;
  }
  static override isInstance(error: unknown): error is SubprocessError {
    return hasMarker(error, SUBPROCESS_MARKER);
  }
}

const DATA_MARKER = marker("DataError");

/** Input data cannot be used as given (missing column, empty file, ragged CSV row...). */
export class DataError extends LolpopError {
  private readonly [DATA_MARKER] = true;
  constructor(opts: { message: string; code?: string; details?: Record<string, unknown>; cause?: unknown }) {
    super({
      message: opts.message,
      code: opts.code ?? "data_invalid",
      details: opts.details,
      cause: opts.cause,
    });
    this.name = "DataError";
  }
  static override isInstance(error: unknown): error is DataError {
    return hasMarker(error, DATA_MARKER);
  }
}

const STORE_MARKER = marker("StoreError");

/** A persistent store (the local `.lolpop/` store, a model repository) is unreadable or inconsistent. */
export class StoreError extends LolpopError {
  private readonly [STORE_MARKER] = true;
  constructor(opts: { message: string; path?: string; cause?: unknown; code?: string }) {
    super({
      message: opts.message,
      code: opts.code ?? "store_error",
      details: { path: opts.path },
      cause: opts.cause,
    });
    this.name = "StoreError";
  }
  static override isInstance(error: unknown): error is StoreError {
    return hasMarker(error, STORE_MARKER);
  }
}

const CANCELLED_MARKER = marker("CancelledError");

/** The run was cancelled through its AbortSignal. */
export class CancelledError extends LolpopError {
  private readonly [CANCELLED_MARKER] = true;
  constructor(opts: { path?: string; reason?: unknown } = {}) {
    const why =
      opts.reason instanceof Error
        ? opts.reason.message
        : opts.reason !== undefined
          ? String(opts.reason)
          : "aborted";
    super({
      message: `Cancelled${opts.path ? ` at ${opts.path}` : ""}: ${why}`,
      code: "cancelled",
      details: { path: opts.path },
    });
    this.name = "CancelledError";
  }
  static override isInstance(error: unknown): error is CancelledError {
    return hasMarker(error, CANCELLED_MARKER);
  }
}

const CALL_MARKER = marker("ComponentCallError");

/**
 * A component, pipeline or runner method failed. `frames` lists the call path from the outermost
 * call to the one that threw; `cause` is the inner error (the original error at the end of the chain).
 */
export class ComponentCallError extends LolpopError {
  private readonly [CALL_MARKER] = true;
  /** Call frames, outermost first, e.g. `["runner.build_all", "train.train_model", "train.model_trainer.fit"]`. */
  readonly frames: string[];
  constructor(opts: { frame: string; cause: unknown }) {
    const inner = ComponentCallError.isInstance(opts.cause) ? opts.cause : undefined;
    const frames = [opts.frame, ...(inner ? inner.frames : [])];
    // The message of the error the component threw (not of what that error wraps: a DataError
    // explaining a missing file keeps its message, not the ENOENT under it).
    const root = inner ? thrownError(inner) : opts.cause;
    const rootMessage = root instanceof Error ? root.message : String(root);
    super({
      message: `${frames[frames.length - 1]} failed: ${rootMessage}`,
      code: LolpopError.isInstance(root) ? root.code : "component_call_failed",
      details: { frames },
      cause: opts.cause,
    });
    this.name = "ComponentCallError";
    this.frames = frames;
  }
  static override isInstance(error: unknown): error is ComponentCallError {
    return hasMarker(error, CALL_MARKER);
  }
}

const PARTIAL_MARKER = marker("PartialRunError");

/**
 * A workflow run failed (or was cancelled) after doing part of its work: `summary` says what was
 * done (runs, registered version, promotion decision), `step` where it stopped, and `cause` is the
 * error of that step (with its call frames). Find it in an error's cause chain with {@link partialRunOf}.
 */
export class PartialRunError extends LolpopError {
  private readonly [PARTIAL_MARKER] = true;
  /** What the run did before it failed (JSON-serializable, e.g. a workflow summary). */
  readonly summary: Record<string, unknown>;
  /** The step that failed, e.g. `predict`. */
  readonly step: string;
  constructor(opts: { summary: Record<string, unknown>; step: string; cause: unknown }) {
    const root = thrownError(opts.cause);
    super({
      message: root instanceof Error ? root.message : String(root),
      code: LolpopError.isInstance(root) ? root.code : "run_failed",
      details: { step: opts.step },
      cause: opts.cause,
    });
    this.name = "PartialRunError";
    this.summary = opts.summary;
    this.step = opts.step;
  }
  static override isInstance(error: unknown): error is PartialRunError {
    return hasMarker(error, PARTIAL_MARKER);
  }
}

/** The {@link PartialRunError} in `error`'s cause chain, if any. */
export function partialRunOf(error: unknown): PartialRunError | undefined {
  let current = error;
  for (let i = 0; i < 1000 && typeof current === "object" && current !== null; i++) {
    if (PartialRunError.isInstance(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `error` or an error in its cause chain is a {@link CancelledError}. */
export function isCancellation(error: unknown): boolean {
  let current = error;
  for (let i = 0; i < 1000 && typeof current === "object" && current !== null; i++) {
    if (CancelledError.isInstance(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The error a failing component threw: `error` without its {@link ComponentCallError} wrappers. */
export function thrownError(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 1000 && ComponentCallError.isInstance(current); i++) current = current.cause;
  return current;
}

/** Follows `cause` links to the innermost error. */
export function rootCause(error: unknown): unknown {
  let current = error;
  const seen = new Set<unknown>();
  while (
    typeof current === "object" &&
    current !== null &&
    "cause" in current &&
    (current as { cause?: unknown }).cause !== undefined
  ) {
    if (seen.has(current)) break;
    seen.add(current);
    current = (current as { cause: unknown }).cause;
  }
  return current;
}

const MODEL_REF_MARKER = marker("ModelRefError");

/**
 * A model reference (`name@alias`, `name/version`) that is malformed (`code: bad_model_ref`, a usage
 * error) or names nothing in the repository (`no_model`, `no_alias`, `no_version`). Thrown by
 * {@link parseModelRef} and {@link resolveModelRef}; the CLI maps them to exit 2 and 1, a server to
 * HTTP 400 and 404.
 */
export class ModelRefError extends LolpopError {
  private readonly [MODEL_REF_MARKER] = true;
  constructor(opts: {
    message: string;
    code: "bad_model_ref" | "no_model" | "no_alias" | "no_version";
    ref: string;
    cause?: unknown;
  }) {
    super({ message: opts.message, code: opts.code, details: { ref: opts.ref }, cause: opts.cause });
    this.name = "ModelRefError";
  }
  /** True for a malformed reference (the caller's usage), false for one that names nothing. */
  get usage(): boolean {
    return this.code === "bad_model_ref";
  }
  static override isInstance(error: unknown): error is ModelRefError {
    return hasMarker(error, MODEL_REF_MARKER);
  }
}
