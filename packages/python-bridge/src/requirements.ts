/**
 * Python requirements: which distributions a worker needs, version specifiers (a PEP 440 subset)
 * and the exact `pip install` line that fixes a missing or mismatched one.
 */
import { readFileSync } from "node:fs";
import type { UnmetRequirement } from "./python-module-missing-error.js";

/** A Python distribution a worker needs. */
export interface PythonRequirement {
  /** Distribution name as pip knows it, e.g. `catboost`. */
  name: string;
  /**
   * Accepted versions: comma-separated clauses with `==` (a trailing `.*` matches a prefix), `!=`,
   * `>=`, `<=`, `>`, `<` or `~=`, e.g. `>=1.2,<2`. Omitted: any version.
   */
  version?: string;
  /** What to install when it is missing, e.g. `catboost==1.2.10`. Default: `name` + `version`. */
  install?: string;
}

type Release = number[];

/** The release numbers of a version string (`1.2.10rc1+local` gives [1, 2, 10]). */
export function parseRelease(version: string): Release {
  const m = /^\s*v?(\d+(?:\.\d+)*)/.exec(version);
  if (!m) return [];
  return m[1]!.split(".").map(Number);
}

function compare(a: Release, b: Release): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** True when `version` matches every clause of `specifier` (empty: always). Unknown operators never match. */
export function satisfiesVersion(version: string, specifier: string | undefined): boolean {
  if (!specifier?.trim()) return true;
  const v = parseRelease(version);
  if (!v.length) return false;
  for (const raw of specifier.split(",")) {
    const clause = raw.trim();
    if (!clause) continue;
    const m = /^(===|==|!=|~=|>=|<=|>|<)\s*(.+)$/.exec(clause);
    if (!m) return false;
    const op = m[1]!;
    const target = m[2]!.trim();
    if ((op === "==" || op === "!=") && target.endsWith(".*")) {
      const prefix = parseRelease(target.slice(0, -2));
      const match = prefix.every((p, i) => (v[i] ?? 0) === p);
      if (op === "==" ? !match : match) return false;
      continue;
    }
    const t = parseRelease(target);
    if (!t.length) return false;
    const c = compare(v, t);
    switch (op) {
      case "==":
      case "===":
        if (c !== 0) return false;
        break;
      case "!=":
        if (c === 0) return false;
        break;
      case ">=":
        if (c < 0) return false;
        break;
      case "<=":
        if (c > 0) return false;
        break;
      case ">":
        if (c <= 0) return false;
        break;
      case "<":
        if (c >= 0) return false;
        break;
      case "~=": {
        // ~=1.2.3 means >=1.2.3, ==1.2.*
        if (c < 0 || t.length < 2) return false;
        const prefix = t.slice(0, -1);
        if (!prefix.every((p, i) => (v[i] ?? 0) === p)) return false;
        break;
      }
    }
  }
  return true;
}

/** Requirements not met by the installed versions (`null` = not installed). */
export function unmetRequirements(
  requirements: readonly PythonRequirement[],
  installed: Record<string, string | null | undefined>,
): UnmetRequirement[] {
  const out: UnmetRequirement[] = [];
  for (const r of requirements) {
    const found = installed[r.name] ?? null;
    if (found === null || !satisfiesVersion(found, r.version)) {
      out.push({ name: r.name, required: r.version ?? "", found });
    }
  }
  return out;
}

/** Quotes an argument for a POSIX shell when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The `pip install` spec of a requirement (its `install`, else name + version). */
export function installSpec(r: PythonRequirement): string {
  return r.install ?? `${r.name}${r.version ?? ""}`;
}

/** The exact command that installs `requirements` into `python` (`reinstall`: with `--force-reinstall`). */
export function pipInstallCommand(
  python: string,
  requirements: readonly PythonRequirement[],
  reinstall = false,
): string {
  return [
    python,
    "-m",
    "pip",
    "install",
    ...(reinstall ? ["--force-reinstall"] : []),
    ...requirements.map(installSpec),
  ]
    .map(shellQuote)
    .join(" ");
}

/**
 * Parses one pip requirement line: `name==1.2.3` gives `{name, version: "==1.2.3", install: line}`,
 * `name[extra]>=1,<2 ; python_version>"3"` keeps the specifier (extras and markers dropped from
 * `version`, kept in `install`). Comments, blank lines and options (`-r`, `--index-url`...) give undefined.
 */
export function parseRequirementLine(raw: string): PythonRequirement | undefined {
  const line = raw.replace(/\s+#.*$/, "").trim();
  if (!line || line.startsWith("#") || line.startsWith("-")) return undefined;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const spec = m[2]!.split(";")[0]!.trim();
  return { name: m[1]!, ...(spec ? { version: spec } : {}), install: line };
}

/** Parses the lines of a requirements file (see {@link parseRequirementLine}). */
export function parseRequirements(text: string): PythonRequirement[] {
  return text.split(/\r?\n/).flatMap((l) => parseRequirementLine(l) ?? []);
}

/**
 * Reads a pip requirements file into exact pins: `name==version` lines become
 * `{name, version: "==version", install: line}`; other specifier lines keep their specifier.
 * Comments, blank lines and options (`-r`, `--index-url`...) are skipped.
 */
export function readRequirementsFile(file: string): PythonRequirement[] {
  return parseRequirements(readFileSync(file, "utf8"));
}
