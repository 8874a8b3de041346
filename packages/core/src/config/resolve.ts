/**
 * Interpolation of `${env:NAME}` / `${env:NAME:-default}` and absolute references `$a.b.c`.
 *
 * - `${env:...}` may appear anywhere in a string; a string that is exactly one `${env:...}` takes
 *   the YAML type of the value (`"8"` becomes 8, `"true"` becomes true).
 * - A string that is exactly `$a.b.c` is replaced by the value at that path from the root (any
 *   type, falsy values included). References may chain; cycles and missing targets are errors.
 * - `$$` at the start of a string escapes a literal `$`.
 * Values that came from the environment are secrets: their paths are returned in `secretPaths` and
 * their values registered for redaction.
 */

import type { ConfigIssue } from "../errors.js";
import { yaml } from "../lazy-deps.js";
import { isSecretKey, registerSecret } from "../redact.js";
import type { ConfigSource } from "./yaml-source.js";

const ENV_RE = /\$\{([^}]*)\}/g;
const ENV_BODY_RE = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
const REF_RE = /^\$([A-Za-z_][\w-]*(?:\.[\w-]+)*)$/;

/** The result of resolving a config's data. */
export interface ResolvedConfig {
  data: Record<string, unknown>;
  /** Dotted paths whose values came from the environment (redacted everywhere). */
  secretPaths: Set<string>;
  /** Dotted paths that some `$a.b.c` reference points at (such keys count as used). */
  referenced: Set<string>;
  issues: ConfigIssue[];
}

type Path = Array<string | number>;

const join = (p: ReadonlyArray<string | number>) => p.join(".");

function issueAt(source: ConfigSource, path: Path, code: string, message: string): ConfigIssue {
  const loc = source.locate(path);
  return {
    code,
    path: join(path),
    message,
    file: source.file,
    ...(loc ? { line: loc.line, column: loc.column } : {}),
  };
}

function interpolateEnv(
  value: string,
  path: Path,
  env: NodeJS.ProcessEnv,
  source: ConfigSource,
  issues: ConfigIssue[],
  secretPaths: Set<string>,
): unknown {
  if (value.startsWith("$$")) return value.slice(1);
  if (!value.includes("${")) return value;
  let fromEnv = false;
  let failed = false;
  const whole = value.match(/^\$\{[^}]*\}$/) !== null;
  const out = value.replace(ENV_RE, (_m, body: string) => {
    const m = ENV_BODY_RE.exec(body.trim());
    if (!m) {
      failed = true;
      issues.push(
        issueAt(
          source,
          path,
          "bad_interpolation",
          `"\${${body}}" is not a valid interpolation: write \${env:NAME} or \${env:NAME:-default}`,
        ),
      );
      return "";
    }
    const name = m[1]!;
    const fallback = m[2];
    const v = env[name];
    if (v !== undefined && v !== "") {
      fromEnv = true;
      registerSecret(v);
      return v;
    }
    if (fallback !== undefined) return fallback;
    failed = true;
    issues.push(
      issueAt(
        source,
        path,
        "missing_env",
        `environment variable ${name} is not set: set it, or give a default with \${env:${name}:-value}`,
      ),
    );
    return "";
  });
  if (failed) return undefined;
  if (fromEnv) secretPaths.add(join(path));
  if (whole) {
    try {
      const typed = yaml().parse(out);
      if (typed === null || ["number", "boolean", "string"].includes(typeof typed)) return typed ?? out;
    } catch {
      return out;
    }
  }
  return out;
}

function getAt(root: unknown, path: ReadonlyArray<string>): { found: boolean; value?: unknown } {
  let cur: unknown = root;
  for (const seg of path) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = cur[Number(seg)];
    else if (cur && typeof cur === "object" && Object.hasOwn(cur as object, seg))
      cur = (cur as Record<string, unknown>)[seg];
    else return { found: false };
  }
  return { found: true, value: cur };
}

/** Resolves env interpolation, then references. Collects every problem instead of stopping at the first. */
export function resolveConfig(source: ConfigSource, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const issues: ConfigIssue[] = [];
  const secretPaths = new Set<string>();
  if (source.data === null || source.data === undefined) {
    return {
      data: {},
      secretPaths,
      referenced: new Set(),
      issues: [
        {
          code: "empty_config",
          path: "",
          file: source.file,
          line: 1,
          message:
            "the config file is empty: it needs at least `runner:` and `pipelines:` (run `lolpop init` for an example)",
        },
      ],
    };
  }
  if (typeof source.data !== "object" || Array.isArray(source.data)) {
    return {
      data: {},
      secretPaths,
      referenced: new Set(),
      issues: [
        issueAt(
          source,
          [],
          "not_a_mapping",
          "the config file must be a YAML mapping (key: value), not a list or a single value",
        ),
      ],
    };
  }

  // Pass 1: env interpolation, and secret-looking keys registered for text redaction.
  const walkEnv = (value: unknown, path: Path): unknown => {
    if (typeof value === "string") {
      const v = interpolateEnv(value, path, env, source, issues, secretPaths);
      const key = path[path.length - 1];
      if (typeof key === "string" && isSecretKey(key)) registerSecret(v);
      return v;
    }
    if (Array.isArray(value)) return value.map((v, i) => walkEnv(v, [...path, i]));
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = walkEnv(v, [...path, k]);
        if (isSecretKey(k) && (typeof v === "number" || typeof v === "boolean")) registerSecret(v);
      }
      return out;
    }
    return value;
  };
  const interpolated = walkEnv(source.data, []) as Record<string, unknown>;

  // Pass 2: references, with memoization and cycle detection.
  const resolvedRefs = new Map<string, unknown>();
  const referenced = new Set<string>();
  const resolving: string[] = [];
  const resolveRef = (target: string, fromPath: Path): { ok: boolean; value?: unknown } => {
    referenced.add(target);
    if (resolvedRefs.has(target)) return { ok: true, value: resolvedRefs.get(target) };
    if (resolving.includes(target)) {
      const cycle = [...resolving.slice(resolving.indexOf(target)), target].map((p) => `$${p}`).join(" -> ");
      issues.push(
        issueAt(source, fromPath, "ref_cycle", `reference cycle: ${cycle}. Point one of them at a value.`),
      );
      return { ok: false };
    }
    const hit = getAt(interpolated, target.split("."));
    if (!hit.found) {
      issues.push(
        issueAt(
          source,
          fromPath,
          "missing_ref",
          `reference $${target} points at nothing: no value at "${target}" in the config`,
        ),
      );
      return { ok: false };
    }
    resolving.push(target);
    const value = walkRefs(hit.value, target.split("."));
    resolving.pop();
    if (secretPaths.has(target)) secretPaths.add(join(fromPath));
    resolvedRefs.set(target, value);
    return { ok: true, value };
  };
  const walkRefs = (value: unknown, path: Path): unknown => {
    if (typeof value === "string") {
      const m = REF_RE.exec(value);
      if (!m) return value;
      const r = resolveRef(m[1]!, path);
      if (r.ok && secretPaths.has(m[1]!)) secretPaths.add(join(path));
      return r.ok ? structuredClone(r.value) : undefined;
    }
    if (Array.isArray(value)) return value.map((v, i) => walkRefs(v, [...path, i]));
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walkRefs(v, [...path, k]);
      return out;
    }
    return value;
  };
  const data = walkRefs(interpolated, []) as Record<string, unknown>;
  // One issue per cycle is enough: the same cycle is found from each of its members.
  const seen = new Set<string>();
  const deduped = issues.filter((i) => {
    const key =
      i.code === "ref_cycle"
        ? `${i.code}:${i.message.split(": ")[1]?.split(" -> ").sort().join()}`
        : `${i.code}:${i.path}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { data, secretPaths, referenced, issues: deduped };
}
