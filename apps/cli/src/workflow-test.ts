/**
 * `lolpop test`: workflow tests. A `tests:` section (in the workflow config, or in a separate file
 * given with `--tests`) attaches pre- and post-hooks to any component, pipeline or runner method:
 *
 * ```yaml
 * tests:
 *   process.data_connector.get_data:        # <path>.<method>; nested mappings work too
 *     post_hooks:
 *       - hook_file: tests/hooks.mjs        # relative to the file that holds the tests
 *         hook_method: has_rows             # an exported function
 *         hook_on_error: fail               # fail (default) | warn | stop
 * ```
 *
 * A hook gets one object `{ path, method, phase, args, output, component, type, kind }` (`output`
 * only for post-hooks) and passes by returning `true`, `undefined`, `[true, msg]` or
 * `{ passed: true }`; it fails by returning `false`, `[false, msg]`, `{ passed: false, message }` or
 * by throwing. Every hook is timed and reported; any failed `fail`/`stop` hook, or one that never ran,
 * fails the command.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import {
  type CallInfo,
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  didYouMean,
  type Hook,
  redactText,
  rootCause,
  type WorkflowPlan,
} from "@lolpop/core";
import { importUrl } from "./import-url.js";

/** What a failing hook does. */
export type HookOnError = "fail" | "warn" | "stop";

/** One hook attached to a method. */
export interface HookSpec {
  /** `path.method` as written in `tests:`, e.g. `train.model_trainer.fit`. */
  key: string;
  /** Component, pipeline or runner path, e.g. `train.model_trainer`, `train`, `runner`. */
  target: string;
  method: string;
  phase: "pre" | "post";
  /** Absolute path of the hook module. */
  file: string;
  /** Exported function name. */
  fn: string;
  onError: HookOnError;
  /** Label in the report. */
  name: string;
  /** YAML path of the hook entry. */
  yamlPath: Array<string | number>;
}

/** Outcome of one hook over the whole run. */
export interface HookResult {
  name: string;
  /** `path.method`. */
  key: string;
  phase: "pre" | "post";
  /** `file#function`, the file relative to the tests' folder. */
  hook: string;
  on_error: HookOnError;
  /** `passed`, `failed`, `warned` (failed with hook_on_error: warn) or `not_run` (the method was never called). */
  status: "passed" | "failed" | "warned" | "not_run";
  calls: number;
  failures: number;
  /** Total time spent in the hook. */
  duration_ms: number;
  /** First failure message (or why it did not run). */
  message?: string;
}

/** The `lolpop test` report. */
export interface TestReport {
  ok: boolean;
  config: string;
  step: string;
  hooks: HookResult[];
  passed: number;
  failed: number;
  warned: number;
  not_run: number;
  workflow: { status: "succeeded" | "failed" | "stopped"; duration_ms: number; error?: string };
  duration_ms: number;
}

const PRE = ["pre_hooks", "pre-hooks"];
const POST = ["post_hooks", "post-hooks"];
const HOOK_KEYS = ["hook_file", "hook_method", "hook_on_error", "name"];

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads the hooks of a `tests:` section. `base` is the folder hook files are relative to. Problems
 * are collected into `issues` (each with file and line).
 */
export function parseTests(source: ConfigSource, base: string, issues: ConfigIssue[]): HookSpec[] {
  const data = source.data as Record<string, unknown> | null;
  const add = (path: Array<string | number>, code: string, message: string) => {
    const loc = source.locate(path);
    issues.push({
      code,
      path: path.join("."),
      message,
      file: source.file,
      ...(loc ? { line: loc.line, column: loc.column } : {}),
    });
  };
  const tests = data?.tests;
  if (tests === undefined || tests === null) return [];
  if (!isMapping(tests)) {
    add(["tests"], "invalid_type", "tests must be a mapping of path.method: {pre_hooks, post_hooks}");
    return [];
  }
  const specs: HookSpec[] = [];
  const walk = (node: unknown, keyPath: string[], yamlPath: Array<string | number>) => {
    if (!isMapping(node)) {
      add(
        yamlPath,
        "invalid_type",
        `expected a mapping with pre_hooks / post_hooks (or nested path segments), got ${Array.isArray(node) ? "a list" : typeof node}`,
      );
      return;
    }
    const keys = Object.keys(node);
    const isLeaf = keys.some((k) => PRE.includes(k) || POST.includes(k));
    if (!isLeaf) {
      if (keys.length === 0) add(yamlPath, "invalid_value", "empty tests entry: add pre_hooks or post_hooks");
      for (const k of keys) walk(node[k], [...keyPath, ...k.split(".")], [...yamlPath, k]);
      return;
    }
    const key = keyPath.join(".");
    const segments = keyPath;
    if (segments.length < 2) {
      add(
        yamlPath,
        "invalid_value",
        `"${key}" must be <path>.<method>, e.g. train.model_trainer.fit or process.process_data`,
      );
      return;
    }
    const method = segments[segments.length - 1]!;
    const target = segments.slice(0, -1).join(".");
    for (const k of keys) {
      const phase = PRE.includes(k) ? "pre" : POST.includes(k) ? "post" : undefined;
      if (!phase) {
        add([...yamlPath, k], "unknown_key", `unknown key "${k}": expected pre_hooks or post_hooks`);
        continue;
      }
      const list = node[k];
      if (!Array.isArray(list)) {
        add([...yamlPath, k], "invalid_type", `${k} must be a list of {hook_file, hook_method}`);
        continue;
      }
      list.forEach((h, i) => {
        const at = [...yamlPath, k, i];
        if (!isMapping(h)) {
          add(at, "invalid_type", "a hook must be a mapping with hook_file and hook_method");
          return;
        }
        for (const hk of Object.keys(h))
          if (!HOOK_KEYS.includes(hk)) {
            const guess = didYouMean(hk, HOOK_KEYS, 1);
            add(
              [...at, hk],
              "unknown_key",
              `unknown key "${hk}"${guess.length ? `; did you mean "${guess[0]}"?` : ""} Allowed keys: ${HOOK_KEYS.join(", ")}`,
            );
          }
        const file = h.hook_file;
        const fn = h.hook_method;
        const onError = h.hook_on_error ?? "fail";
        if (typeof file !== "string" || !file) {
          add(
            [...at, "hook_file"],
            "missing_key",
            "hook_file is required: the hook module, relative to this file",
          );
          return;
        }
        if (typeof fn !== "string" || !fn) {
          add(
            [...at, "hook_method"],
            "missing_key",
            "hook_method is required: the exported function to call",
          );
          return;
        }
        if (onError !== "fail" && onError !== "warn" && onError !== "stop") {
          add(
            [...at, "hook_on_error"],
            "invalid_value",
            `must be one of "fail", "warn", "stop" (got ${JSON.stringify(onError)})`,
          );
          return;
        }
        specs.push({
          key: `${target}.${method}`,
          target,
          method,
          phase,
          file: isAbsolute(file) ? file : resolve(base, file),
          fn,
          onError,
          name: typeof h.name === "string" ? h.name : fn,
          yamlPath: at,
        });
      });
    }
  };
  for (const k of Object.keys(tests)) walk(tests[k], k.split("."), ["tests", k]);
  return specs;
}

/** Paths a hook may target in a plan: `runner`, pipelines, global and pipeline-local components. */
export function targetsOf(plan: WorkflowPlan): string[] {
  return [
    "runner",
    ...plan.components.map((c) => c.path),
    ...plan.pipelines.flatMap((p) => [p.path, ...p.components.map((c) => c.path)]),
  ];
}

/** Checks targets against the plan and imports the hook modules. Returns the hook functions by spec. */
export async function loadHooks(
  specs: HookSpec[],
  plan: WorkflowPlan,
  source: ConfigSource,
  issues: ConfigIssue[],
): Promise<Map<HookSpec, (ctx: HookContext) => unknown>> {
  const add = (spec: HookSpec, path: Array<string | number>, code: string, message: string) => {
    const loc = source.locate(path);
    issues.push({
      code,
      path: path.join("."),
      message,
      file: source.file,
      ...(loc ? { line: loc.line, column: loc.column } : {}),
    });
    void spec;
  };
  const targets = targetsOf(plan);
  const modules = new Map<string, Record<string, unknown> | Error>();
  const out = new Map<HookSpec, (ctx: HookContext) => unknown>();
  for (const spec of specs) {
    if (!targets.includes(spec.target)) {
      const guess = didYouMean(spec.target, targets, 2);
      add(
        spec,
        spec.yamlPath.slice(0, 2),
        "unknown_target",
        `no component, pipeline or runner at "${spec.target}"${guess.length ? `; did you mean ${guess.map((g) => `"${g}"`).join(" or ")}?` : ""} Hooks can target: ${targets.join(", ")}`,
      );
      continue;
    }
    if (!existsSync(spec.file)) {
      add(spec, [...spec.yamlPath, "hook_file"], "hook_not_found", `hook file ${spec.file} does not exist`);
      continue;
    }
    let mod = modules.get(spec.file);
    if (!mod) {
      try {
        mod = (await importUrl(pathToFileURL(spec.file).href)) as Record<string, unknown>;
      } catch (e) {
        mod = e instanceof Error ? e : new Error(String(e));
      }
      modules.set(spec.file, mod);
    }
    if (mod instanceof Error) {
      add(
        spec,
        [...spec.yamlPath, "hook_file"],
        "hook_load_failed",
        `cannot import ${spec.file}: ${redactText(mod.message)}`,
      );
      continue;
    }
    const fn = mod[spec.fn] ?? (mod.default as Record<string, unknown> | undefined)?.[spec.fn];
    if (typeof fn !== "function") {
      const exported = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      add(
        spec,
        [...spec.yamlPath, "hook_method"],
        "hook_not_found",
        `${spec.file} exports no function "${spec.fn}" (exported functions: ${exported.join(", ") || "none"})`,
      );
      continue;
    }
    out.set(spec, fn as (ctx: HookContext) => unknown);
  }
  return out;
}

/** What a hook function receives. */
export interface HookContext {
  /** Path of the callee, e.g. `train.model_trainer`. */
  path: string;
  method: string;
  phase: "pre" | "post";
  /** Arguments of the call. */
  args: unknown[];
  /** Result of the call (post-hooks). */
  output?: unknown;
  /** The component, pipeline or runner (calls on it go through the engine). */
  component: unknown;
  type: string;
  kind: string;
}

/** Raised by a `hook_on_error: stop` hook to stop the run. */
export class HookStopError extends Error {
  constructor(
    readonly hook: string,
    message: string,
  ) {
    super(message);
    this.name = "HookStopError";
  }
}

function verdict(value: unknown): { passed: boolean; message?: string } {
  if (value === undefined || value === true) return { passed: true };
  if (value === false) return { passed: false };
  if (Array.isArray(value))
    return { passed: Boolean(value[0]), message: value[1] === undefined ? undefined : String(value[1]) };
  if (isMapping(value) && "passed" in value)
    return {
      passed: Boolean(value.passed),
      message: value.message === undefined ? undefined : String(value.message),
    };
  return { passed: Boolean(value) };
}

/** Builds engine hooks that run the specs and record results. */
export function createRecorder(
  specs: Map<HookSpec, (ctx: HookContext) => unknown>,
  base: string,
  resolveTarget: (path: string) => unknown,
): { hooks: Hook[]; results: () => HookResult[] } {
  const state = new Map<HookSpec, HookResult>();
  for (const spec of specs.keys()) {
    state.set(spec, {
      name: spec.name,
      key: spec.key,
      phase: spec.phase,
      hook: `${relative(base, spec.file) || spec.file}#${spec.fn}`,
      on_error: spec.onError,
      status: "not_run",
      calls: 0,
      failures: 0,
      duration_ms: 0,
    });
  }
  const run = async (spec: HookSpec, call: CallInfo, output?: unknown) => {
    const fn = specs.get(spec)!;
    const r = state.get(spec)!;
    const t0 = performance.now();
    let outcome: { passed: boolean; message?: string };
    try {
      outcome = verdict(
        await fn({
          path: call.path,
          method: call.method,
          phase: spec.phase,
          args: call.args,
          ...(spec.phase === "post" ? { output } : {}),
          component: resolveTarget(call.path),
          type: call.type,
          kind: call.kind,
        }),
      );
    } catch (e) {
      outcome = { passed: false, message: `threw: ${e instanceof Error ? e.message : String(e)}` };
    }
    r.duration_ms += performance.now() - t0;
    r.calls++;
    if (outcome.passed) {
      if (r.status === "not_run") r.status = "passed";
      return;
    }
    r.failures++;
    r.status = spec.onError === "warn" ? "warned" : "failed";
    const message = redactText(outcome.message ?? `${spec.fn} returned false`);
    r.message ??= message;
    if (spec.onError === "stop")
      throw new HookStopError(
        `${spec.phase}-hook ${r.hook} on ${spec.key}`,
        `${spec.phase}-hook ${r.hook} on ${spec.key} failed: ${message} (hook_on_error: stop)`,
      );
  };
  const byKey = new Map<string, HookSpec[]>();
  for (const spec of specs.keys()) byKey.set(spec.key, [...(byKey.get(spec.key) ?? []), spec]);
  const hooks: Hook[] = [...byKey].map(([key, list]) => ({
    match: (call: CallInfo) => `${call.path}.${call.method}` === key,
    before: async (call: CallInfo) => {
      for (const s of list) if (s.phase === "pre") await run(s, call);
    },
    after: async (call: CallInfo, output: unknown) => {
      for (const s of list) if (s.phase === "post") await run(s, call, output);
    },
  }));
  const results = () =>
    [...state.values()].map((r) => ({
      ...r,
      duration_ms: Math.round(r.duration_ms * 1000) / 1000,
      ...(r.status === "not_run" && !r.message
        ? { message: `${r.key} was never called during the run` }
        : {}),
    }));
  return { hooks, results };
}

/** Builds the report from the hook results and the workflow's outcome. */
export function buildReport(args: {
  config: string;
  step: string;
  hooks: HookResult[];
  workflow: TestReport["workflow"];
  duration_ms: number;
}): TestReport {
  const count = (s: HookResult["status"]) => args.hooks.filter((h) => h.status === s).length;
  const failed = count("failed");
  const notRun = count("not_run");
  // A hook that never ran tested nothing: it fails the command unless it only warns.
  const blockingNotRun = args.hooks.filter((h) => h.status === "not_run" && h.on_error !== "warn").length;
  return {
    ok: failed === 0 && blockingNotRun === 0 && args.workflow.status === "succeeded",
    config: args.config,
    step: args.step,
    hooks: args.hooks,
    passed: count("passed"),
    failed,
    warned: count("warned"),
    not_run: notRun,
    workflow: args.workflow,
    duration_ms: Math.round(args.duration_ms * 10) / 10,
  };
}

/** The stop error behind a failed run, if a `stop` hook caused it. */
export function stopCause(e: unknown): HookStopError | undefined {
  let cur: unknown = e;
  for (let i = 0; cur && i < 20; i++) {
    if (cur instanceof HookStopError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  const root = rootCause(e);
  return root instanceof HookStopError ? root : undefined;
}

/** Throws a ConfigError when issues were collected. */
/**
 * Reads and checks the hooks of a tests source (the config itself, or a `--tests` file that may hold
 * only a `tests:` section): targets exist in the plan, hook files exist and export the named
 * functions. Used by `lolpop validate` (which finds what `lolpop test` would) and `lolpop test`.
 * Problems are collected into `issues`; imports the hook modules.
 */
export async function checkTests(
  plan: WorkflowPlan,
  testsSource: ConfigSource,
  separateFile: boolean,
  issues: ConfigIssue[],
): Promise<{ specs: HookSpec[]; fns: Map<HookSpec, (ctx: HookContext) => unknown> }> {
  if (separateFile) {
    for (const key of Object.keys((testsSource.data as Record<string, unknown> | null) ?? {}))
      if (key !== "tests")
        issues.push({
          code: "unknown_section",
          path: key,
          file: testsSource.file,
          message: `a tests file holds only a tests: section (found "${key}")`,
        });
  }
  const specs = parseTests(testsSource, dirname(testsSource.file), issues);
  const fns = await loadHooks(specs, plan, testsSource, issues);
  return { specs, fns };
}

export function throwIssues(issues: ConfigIssue[]): void {
  if (issues.length) throw new ConfigError({ issues });
}

/** Folder hook files are relative to. */
export function testsBase(file: string): string {
  return dirname(file);
}
