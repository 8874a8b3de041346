/**
 * What `lolpop validate` (and `lolpop run`, before starting) checks for a run on Temporal: the
 * orchestrator settings, and that nothing the steps read or write is machine-local. Steps run on
 * other machines, which see the project folder (the config's folder) at the same path, and the
 * folders of `orchestrator.shared_paths`; an absolute path elsewhere (a store root, a data file, an
 * output) exists only on this machine.
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { ConfigIssue, WorkflowPlan } from "@lolpop/core";
import { TemporalConfigError } from "./temporal-config-error.js";
import { temporalSettings } from "./temporal-settings.js";

/** Keys whose string values are paths (`path`, `output_path`, `root`, `module`, `dir`, `*_file`...). */
const PATH_KEY = /(^|_)(path|root|dir|module|file)$/;

function inside(folder: string, p: string): boolean {
  const r = relative(folder, p);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/** Issues of running `plan` on Temporal (empty: fine). */
export function temporalPlanIssues(plan: WorkflowPlan): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: Array<string | number>) => {
    const loc = plan.source.locate(path);
    return { file: plan.file, ...(loc ? { line: loc.line, column: loc.column } : {}) };
  };
  let shared: string[] = [];
  try {
    shared = temporalSettings(plan.orchestrator?.config ?? {}).shared_paths;
  } catch (e) {
    if (!TemporalConfigError.isInstance(e)) throw e;
    const key = /^orchestrator\.([\w.]+):/.exec(e.message)?.[1];
    const path = ["orchestrator", ...(key ? key.split(".") : [])];
    issues.push({ code: "orchestrator_invalid", path: path.join("."), message: e.message, ...at(path) });
    return issues;
  }
  const project = dirname(plan.file);
  const walk = (v: unknown, path: Array<string | number>) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, [...path, k]);
    else if (typeof v === "string" && PATH_KEY.test(String(path[path.length - 1] ?? ""))) {
      if (!isAbsolute(v) || v.includes("://")) return;
      const p = resolve(v);
      if (inside(project, p) || shared.some((s) => inside(s, p))) return;
      issues.push({
        code: "machine_local_path",
        path: path.join("."),
        message: `${v} is outside the project folder (${project}), and steps run on other machines (orchestrator: ${plan.orchestrator?.type ?? "TemporalOrchestrator"}), which see only the project folder at the same path: move it into the project, use a shared store (e.g. MLflow) or URL, or list its folder under orchestrator.shared_paths if every worker mounts it at this path`,
        ...at(path),
      });
    }
  };
  for (const [k, v] of Object.entries(plan.resolved)) if (k !== "orchestrator" && k !== "tests") walk(v, [k]);
  return issues;
}
