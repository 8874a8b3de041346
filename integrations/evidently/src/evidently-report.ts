/**
 * One analysis of a table (and optionally a reference): drift, summary, the Evidently-shaped JSON,
 * and the files written for people.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { Table } from "@lolpop/core";
import { computeDrift, type DriftOptions, type DriftResult } from "./evidently-drift.js";
import { renderHtmlReport } from "./evidently-html.js";
import { buildSnapshot, type EvidentlySnapshot } from "./evidently-snapshot.js";
import { computeSummary, type DataSummary } from "./evidently-summary.js";

/** Result of {@link analyze}. */
export interface Analysis {
  drift?: DriftResult;
  summary: DataSummary;
  /** `Report([DataDriftPreset(), DataSummaryPreset()]).dict()`-shaped JSON. */
  snapshot: EvidentlySnapshot;
}

/** Drift (when a reference is given) and summary of `current`. */
export function analyze(current: Table, reference: Table | undefined, options: DriftOptions = {}): Analysis {
  const drift = reference ? computeDrift(current, reference, options) : undefined;
  const summary = computeSummary(current, { ...options, ...(reference ? { reference } : {}) });
  return {
    ...(drift ? { drift } : {}),
    summary,
    snapshot: buildSnapshot({ ...(drift ? { drift, driftOptions: options } : {}), summary }),
  };
}

/** Options of {@link writeReportFiles}. */
export interface ReportFileOptions {
  /** Folder the report folder goes into. */
  dir: string;
  /** Report name (sanitized for the file system). */
  name: string;
  html: boolean;
  json: boolean;
}

/** Makes `name` safe as a file name. */
export function safeFileName(name: string): string {
  const s = name
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+/, "")
    .replace(/[._]+$/, "");
  return (s || "data").slice(0, 80);
}

/** Resolves `dir` against the project root (absolute paths are kept). */
export function resolveReportDir(root: string, dir: string): string {
  return isAbsolute(dir) ? dir : resolve(root, dir);
}

/**
 * Writes `report.html` and `report.json` into a new folder `<dir>/<name>-<time>-<random>` (written
 * under a temp name, then renamed) and returns them as artifacts named `<name>.evidently.html` /
 * `<name>.evidently.json`.
 */
export async function writeReportFiles(
  analysis: Analysis,
  input: { current: Table; reference?: Table; title: string },
  opts: ReportFileOptions,
): Promise<Array<{ name: string; path: string }>> {
  if (!opts.html && !opts.json) return [];
  const base = safeFileName(opts.name);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const folder = join(opts.dir, `${base}-${stamp}-${randomBytes(3).toString("hex")}`);
  const tmp = `${folder}.tmp`;
  await mkdir(tmp, { recursive: true });
  const files: Array<{ name: string; file: string }> = [];
  if (opts.html) {
    const html = renderHtmlReport({
      title: input.title,
      current: input.current,
      ...(input.reference ? { reference: input.reference } : {}),
      ...(analysis.drift ? { drift: analysis.drift } : {}),
      summary: analysis.summary,
    });
    await writeFile(join(tmp, "report.html"), html);
    files.push({ name: `${base}.evidently.html`, file: "report.html" });
  }
  if (opts.json) {
    await writeFile(join(tmp, "report.json"), `${JSON.stringify(analysis.snapshot, null, 1)}\n`);
    files.push({ name: `${base}.evidently.json`, file: "report.json" });
  }
  await rename(tmp, folder);
  return files.map((f) => ({ name: f.name, path: join(folder, f.file) }));
}
