/**
 * `lolpop runs list | show | compare`: the runs the project's metadata tracker recorded, read
 * through the `MetadataTracker` contract (local store, MLflow...). Data-derived text is stripped of
 * control characters; tables fit the terminal; `--json` prints the data.
 */
import { type MetadataTracker, RUN_TAGS, type RunInfo, type RunRecord, type RunStatus } from "@lolpop/core";
import { ExitError, renderTable, terminalWidth } from "./format.js";
import type { StoreCommandOptions } from "./store-commands.js";

/** The `lolpop.stage` tag values a run can have, and the names `--pipeline` accepts for them. */
const STAGE_NAMES: Record<string, string> = {
  workflow: "workflow",
  train: "train",
  tuning: "tuning_trial",
  tuning_trial: "tuning_trial",
  predict: "prediction_job",
  prediction_job: "prediction_job",
};

/** Options of `runs list`. */
export interface RunsListOptions extends StoreCommandOptions {
  status?: string;
  pipeline?: string;
  /** Started at or after: ISO 8601 or an age (`30m`, `24h`, `7d`). */
  since?: string;
  /** Started before: same forms as `since`. */
  until?: string;
  limit?: string;
  json?: boolean;
}

async function clean(): Promise<(s: string) => string> {
  const { stripControlChars } = await import("@lolpop/core");
  return (s) => stripControlChars(s, { newlines: false });
}

function durationOf(r: RunInfo): string {
  if (!r.ended_at) return "";
  const ms = Date.parse(r.ended_at) - Date.parse(r.started_at);
  if (!Number.isFinite(ms) || ms < 0) return "";
  return ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;
}

/** The parsed filter of `runs list`. @throws ExitError (2) on a bad option. */
export async function runsListFilter(opts: RunsListOptions) {
  const { RUN_STATUSES } = await import("@lolpop/core");
  let status: RunStatus[] | undefined;
  if (opts.status !== undefined) {
    status = opts.status
      .split(",")
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean) as RunStatus[];
    const bad = status.find((s) => !RUN_STATUSES.includes(s));
    if (bad !== undefined || status.length === 0)
      throw new ExitError(
        2,
        `--status must be one or more of ${RUN_STATUSES.join(", ")} (comma separated; got "${opts.status}")`,
      );
  }
  let stage: string | undefined;
  if (opts.pipeline !== undefined) {
    stage = STAGE_NAMES[opts.pipeline];
    if (!stage)
      throw new ExitError(
        2,
        `--pipeline must be one of workflow, train, tuning, predict (got "${opts.pipeline}")`,
      );
  }
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new ExitError(2, `--limit must be a whole number of at least 1 (got "${opts.limit}")`);
  const now = Date.now();
  const started_after = timeOption("--since", opts.since, now);
  const started_before = timeOption("--until", opts.until, now);
  if (started_after && started_before && started_after >= started_before)
    throw new ExitError(2, `--since (${started_after}) must be before --until (${started_before})`);
  return {
    status,
    stage,
    limit,
    ...(started_after ? { started_after } : {}),
    ...(started_before ? { started_before } : {}),
  };
}

const AGE_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An ISO 8601 time, or an age before `now` (`30m`, `24h`, `7d`, `2w`), as an ISO time. */
function timeOption(name: string, value: string | undefined, now: number): string | undefined {
  if (value === undefined) return undefined;
  const age = /^(\d+)([mhdw])$/.exec(value.trim());
  const t = age ? now - Number(age[1]) * AGE_UNITS[age[2]!]! : Date.parse(value);
  if (!Number.isFinite(t))
    throw new ExitError(
      2,
      `${name} must be an ISO 8601 time (2026-12-01, 2026-12-01T08:00:00Z) or an age such as 30m, 24h, 7d (got "${value}")`,
    );
  return new Date(t).toISOString();
}

/** `runs list`: newest first. */
export async function runsList(tracker: MetadataTracker, opts: RunsListOptions): Promise<string> {
  const { terminalJson } = await import("@lolpop/core");
  const f = await runsListFilter(opts);
  const runs = await tracker.search_runs({
    ...(f.stage ? { tags: { [RUN_TAGS.stage]: f.stage } } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.started_after ? { started_after: f.started_after } : {}),
    ...(f.started_before ? { started_before: f.started_before } : {}),
    limit: f.limit,
  });
  if (opts.json) return terminalJson({ runs });
  if (runs.length === 0) return "no runs (lolpop run records one)";
  const c = await clean();
  const header = ["ID", "STATUS", "STAGE", "STARTED", "TIME", "MODEL", "NAME"];
  const rows = runs.map((r) => [
    c(r.id),
    r.status,
    c(r.tags[RUN_TAGS.stage] ?? ""),
    r.started_at.replace("T", " ").slice(0, 19),
    durationOf(r),
    r.tags.model_name
      ? c(`${r.tags.model_name}${r.tags.model_version ? `/${r.tags.model_version}` : ""}`)
      : "",
    c(r.name),
  ]);
  return renderTable(header, rows, "", terminalWidth());
}

/** A run with what its children and parent recorded: the train run's params and metrics, the workflow run's data and code. */
export interface RunView extends RunRecord {
  /** Runs whose params, metrics or datasets were merged in (a workflow's train run, a train run's workflow). */
  merged: string[];
}

/** Reads a run; a workflow run gets its train run's params and metrics, a nested run its workflow's datasets and code tags. */
export async function readRunView(tracker: MetadataTracker, id: string): Promise<RunView> {
  const run = await tracker.get_run(id);
  const view: RunView = { ...run, params: { ...run.params }, metrics: { ...run.metrics }, merged: [] };
  const stage = run.tags[RUN_TAGS.stage];
  if (stage === "workflow") {
    const children = await tracker.search_runs({ parent_id: id });
    for (const child of children) {
      if (child.tags[RUN_TAGS.stage] !== "train") continue;
      const rec = await tracker.get_run(child.id);
      view.params = { ...rec.params, ...view.params };
      view.metrics = { ...rec.metrics, ...view.metrics };
      view.datasets = [...view.datasets, ...rec.datasets];
      for (const k of ["model_name", "model_version", "identical_to"])
        if (rec.tags[k] !== undefined && view.tags[k] === undefined) view.tags[k] = rec.tags[k];
      view.merged.push(child.id);
    }
  } else if (run.parent_id) {
    const parent = await tracker.get_run(run.parent_id);
    if (view.datasets.length === 0) view.datasets = parent.datasets;
    for (const [k, v] of Object.entries(parent.tags))
      if (k.startsWith("lolpop.") && k !== "lolpop.stage" && view.tags[k] === undefined) view.tags[k] = v;
    view.merged.push(parent.id);
  }
  return view;
}

/** `runs show`. */
export async function runsShow(tracker: MetadataTracker, id: string, json?: boolean): Promise<string> {
  const { terminalJson } = await import("@lolpop/core");
  const run = await readRunView(tracker, id);
  if (json) return terminalJson(run);
  const c = await clean();
  const width = terminalWidth();
  const table = (header: string[], rows: string[][]) => renderTable(header, rows, "  ", width);
  const lines = [
    `run ${c(run.id)}  ${c(run.name)}`,
    `  status   ${run.status}`,
    `  started  ${run.started_at}${run.ended_at ? `  ended ${run.ended_at} (${durationOf(run)})` : ""}`,
  ];
  if (run.parent_id) lines.push(`  parent   ${c(run.parent_id)}`);
  if (run.merged.length) lines.push(`  with     ${run.merged.map(c).join(", ")}`);
  const section = (title: string, header: string[], rows: string[][]) => {
    lines.push("", `${title}:`, rows.length ? table(header, rows) : "  (none)");
  };
  section(
    "tags",
    ["TAG", "VALUE"],
    Object.entries(run.tags)
      .sort()
      .map(([k, v]) => [c(k), c(v)]),
  );
  section(
    "params",
    ["PARAM", "VALUE"],
    Object.entries(run.params)
      .sort()
      .map(([k, v]) => [c(k), c(v)]),
  );
  section(
    "metrics",
    ["METRIC", "VALUE"],
    sortMetrics(Object.keys(run.metrics)).map((k) => [c(k), formatNumber(run.metrics[k]!)]),
  );
  section(
    "datasets",
    ["NAME", "CONTEXT", "ROWS", "COLS", "FINGERPRINT", "SOURCE"],
    run.datasets.map((d) => [
      c(d.name),
      d.context ?? "",
      String(d.rows),
      String(d.columns),
      c(d.fingerprint.slice(0, 16)),
      c(d.source ?? ""),
    ]),
  );
  section(
    "artifacts",
    ["ARTIFACT"],
    run.artifacts.map((a) => [c(a)]),
  );
  return lines.join("\n");
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

const SPLIT_ORDER = ["train", "valid", "test"];

/** Metric names grouped by split (`train.*`, `valid.*`, `test.*`, then the others), sorted within. */
export function sortMetrics(keys: string[]): string[] {
  const rank = (k: string) => {
    const i = SPLIT_ORDER.indexOf(k.split(".")[0]!);
    return i < 0 ? SPLIT_ORDER.length : i;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** One compared value: params and tags are text, metrics numbers; `null` where a run has none. */
export type CompareValue = string | number | null;

/** A row of `runs compare`. */
export interface CompareRow {
  section: "run" | "param" | "metric" | "data" | "code";
  key: string;
  values: CompareValue[];
  /** True when the runs do not all have the same value. */
  differs: boolean;
}

/** The tags of a workflow run that say which code made it (set by the runners). */
const CODE_TAGS: Array<[string, string]> = [
  [RUN_TAGS.configHash, "config hash"],
  [RUN_TAGS.gitCommit, "git commit"],
  [RUN_TAGS.coreVersion, "@lolpop/core"],
];

/** The rows of `runs compare` for runs read with {@link readRunView}. */
export function compareRows(runs: RunView[]): CompareRow[] {
  const rows: CompareRow[] = [];
  const add = (section: CompareRow["section"], key: string, values: CompareValue[]) => {
    const first = JSON.stringify(values[0] ?? null);
    rows.push({ section, key, values, differs: values.some((v) => JSON.stringify(v ?? null) !== first) });
  };
  add(
    "run",
    "status",
    runs.map((r) => r.status),
  );
  add(
    "run",
    "model",
    runs.map((r) => (r.tags.model_name ? `${r.tags.model_name}/${r.tags.model_version ?? "?"}` : null)),
  );
  const union = (pick: (r: RunView) => Record<string, unknown>) =>
    [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  for (const k of union((r) => r.params))
    add(
      "param",
      k,
      runs.map((r) => r.params[k] ?? null),
    );
  for (const k of sortMetrics(union((r) => r.metrics)))
    add(
      "metric",
      k,
      runs.map((r) => r.metrics[k] ?? null),
    );
  const dataKey = (d: RunRecord["datasets"][number]) => `${d.name}${d.context ? ` (${d.context})` : ""}`;
  const datasets = [...new Set(runs.flatMap((r) => r.datasets.map(dataKey)))].sort();
  for (const k of datasets)
    add(
      "data",
      k,
      runs.map((r) => {
        const d = r.datasets.find((x) => dataKey(x) === k);
        return d ? `${d.fingerprint.slice(0, 16)} (${d.rows} rows)` : null;
      }),
    );
  for (const [tag, label] of CODE_TAGS)
    add(
      "code",
      label,
      runs.map((r) => r.tags[tag] ?? null),
    );
  const plugins = runs.map((r) => pluginVersions(r.tags[RUN_TAGS.plugins]));
  for (const name of [...new Set(plugins.flatMap((p) => Object.keys(p)))].sort())
    add(
      "code",
      name,
      plugins.map((p) => p[name] ?? null),
    );
  return rows;
}

/** `name@version,name@version` (the runners' `lolpop.plugins` tag) as a map. */
function pluginVersions(tag: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (tag ?? "").split(",")) {
    const at = part.lastIndexOf("@");
    if (at > 0) out[part.slice(0, at)] = part.slice(at + 1);
  }
  return out;
}

/** Whether to colour: a TTY, and neither NO_COLOR nor FORCE_COLOR=0. */
function useColour(stream: { isTTY?: boolean } = process.stdout): boolean {
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.FORCE_COLOR !== "0";
}

/** `runs compare`: side by side, differences highlighted (colour on a TTY, a `*` column otherwise). */
export async function runsCompare(tracker: MetadataTracker, ids: string[], json?: boolean): Promise<string> {
  const { terminalJson } = await import("@lolpop/core");
  if (ids.length < 2) throw new ExitError(2, "runs compare needs at least two run ids");
  const runs: RunView[] = [];
  for (const id of ids) runs.push(await readRunView(tracker, id));
  const rows = compareRows(runs);
  if (json)
    return terminalJson({
      runs: runs.map((r) => ({
        id: r.id,
        name: r.name,
        status: r.status,
        started_at: r.started_at,
        merged: r.merged,
      })),
      rows,
      differs: rows.filter((r) => r.differs).length,
    });
  const c = await clean();
  const colour = useColour();
  // Runs are columns #1, #2...: the ids (whole, to copy) are listed above the table.
  const legend = runs.map((r, i) => `#${i + 1}  ${c(r.id)}  ${c(r.name)}  ${r.started_at}`);
  const header = [...(colour ? [] : [""]), "SECTION", "KEY", ...runs.map((_, i) => `#${i + 1}`)];
  const cells = rows.map((r) => [
    ...(colour ? [] : [r.differs ? "*" : ""]),
    r.section,
    c(r.key),
    ...r.values.map((v) => (v === null ? "-" : typeof v === "number" ? formatNumber(v) : c(v))),
  ]);
  let text = renderTable(header, cells, "", terminalWidth());
  if (colour) {
    const lines = text.split("\n");
    rows.forEach((r, i) => {
      if (r.differs) lines[i + 2] = `\u001b[33m${lines[i + 2]}\u001b[0m`;
    });
    text = lines.join("\n");
  }
  const n = rows.filter((r) => r.differs).length;
  return `${legend.join("\n")}\n\n${text}\n\n${n} of ${rows.length} values differ${colour ? " (highlighted)" : " (marked *)"}`;
}
