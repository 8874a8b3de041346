// The pages of `lolpop ui`: runs, run, compare, models, model, version, lineage, workflow graph.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  act,
  api,
  enc,
  fmt,
  type Info,
  type ModelVersionInfo,
  type RunInfo,
  type RunRecord,
  type RunRow,
} from "./api.js";
import { Bars, Curves, Graph, type GraphNode } from "./charts.js";

/** Marks the page rendered (`main[data-ready]`) once its data is in the DOM. */
function Ready() {
  useEffect(() => {
    document.getElementById("app")?.setAttribute("data-ready", "1");
  });
  return null;
}

/** Loads a page's data; `reload()` loads it again (after an action, or while a run is RUNNING). */
function useData<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data }),
      (e: Error) => live && setState({ error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = () => {
    document.getElementById("app")?.removeAttribute("data-ready");
    setTick((t) => t + 1);
  };
  return { ...state, reload };
}

/** The page's content once loaded, its error, or nothing yet. */
function Page<T>(props: { state: { data?: T; error?: string }; children: (data: T) => ComponentChildren }) {
  if (props.state.error !== undefined)
    return (
      <>
        <p class="error">{props.state.error}</p>
        <Ready />
      </>
    );
  if (props.state.data === undefined) return <p>loading…</p>;
  return (
    <>
      {props.children(props.state.data)}
      <Ready />
    </>
  );
}

/** Polls while `running`: reloads every 2 s. */
function usePoll(running: boolean, reload: () => void) {
  useEffect(() => {
    if (!running) return;
    const t = setTimeout(reload, 2000);
    return () => clearTimeout(t);
  });
}

function Table(props: {
  header: ComponentChildren[];
  rows: ComponentChildren[][];
  id?: string;
  rowClass?: (i: number) => string | undefined;
}) {
  return (
    <table id={props.id}>
      <thead>
        <tr>
          {props.header.map((c, i) => (
            <th key={i}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r, i) => (
          <tr key={i} class={props.rowClass?.(i)}>
            {r.map((c, j) => (
              <td key={j} class={typeof c === "number" ? "num" : undefined}>
                {typeof c === "object" && c !== null ? c : fmt(c)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const when = (iso: string) => iso.replace("T", " ").slice(0, 19);
/** How many metric columns the runs page shows. */
const METRIC_COLUMNS = 6;

/**
 * The metric columns of the runs page: the metrics the listed runs logged, test split first, then
 * validation, then the rest (baseline and champion copies left out), most common first.
 */
function metricColumns(runs: RunRow[]): string[] {
  const count = new Map<string, number>();
  for (const r of runs)
    for (const k of Object.keys(r.metrics))
      if (!k.startsWith("baseline.") && !k.startsWith("champion.")) count.set(k, (count.get(k) ?? 0) + 1);
  const rank = (k: string) => (k.startsWith("test.") ? 0 : k.startsWith("valid.") ? 1 : 2);
  return [...count.keys()]
    .sort((a, b) => rank(a) - rank(b) || count.get(b)! - count.get(a)! || a.localeCompare(b))
    .slice(0, METRIC_COLUMNS);
}

const seconds = (r: RunInfo) =>
  r.ended_at ? `${((Date.parse(r.ended_at) - Date.parse(r.started_at)) / 1000).toFixed(1)} s` : "";

export function RunsPage(props: { params: URLSearchParams }) {
  const status = props.params.get("status") ?? "";
  const stage = props.params.get("pipeline") ?? "";
  const sort = props.params.get("sort") ?? "";
  const limit = props.params.get("limit") ?? "100";
  // Dates (YYYY-MM-DD, the browser's date inputs) bound the start time: from the first day's start
  // to the end of the last day (the API's `until` is exclusive: the next day).
  const since = props.params.get("since") ?? "";
  const until = props.params.get("until") ?? "";
  const dayAfter = (d: string) => new Date(Date.parse(d) + 86_400_000).toISOString().slice(0, 10);
  const q = new URLSearchParams({
    ...(status ? { status } : {}),
    ...(stage ? { pipeline: stage } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until: dayAfter(until) } : {}),
    ...(sort ? { sort } : {}),
    limit,
  });
  const state = useData(() => api<{ runs: RunRow[] }>(`runs?${q}`), [q.toString()]);
  const [picked, setPicked] = useState<string[]>([]);
  usePoll(state.data?.runs.some((r) => r.status === "RUNNING") ?? false, state.reload);
  const hashOf = (over: Record<string, string>) => {
    const next = new URLSearchParams({ status, pipeline: stage, since, until, sort, ...over });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    return `#/runs?${next}`;
  };
  const go = (over: Record<string, string>) => {
    location.hash = hashOf(over);
  };
  const sortLink = (key: string, label: string) => (
    <a href={hashOf({ sort: sort === key ? `-${key}` : key })}>
      {label}
      {sort === key ? " \u25b2" : sort === `-${key}` ? " \u25bc" : ""}
    </a>
  );
  return (
    <Page state={state}>
      {({ runs }) => {
        const metrics = metricColumns(runs);
        return (
          <>
            <h1>Runs</h1>
            <div class="toolbar">
              <select aria-label="status" onChange={(e) => go({ status: e.currentTarget.value })}>
                {["", "RUNNING", "FINISHED", "FAILED"].map((s) => (
                  <option key={s} value={s} selected={s === status}>
                    {s || "any status"}
                  </option>
                ))}
              </select>
              <select aria-label="pipeline" onChange={(e) => go({ pipeline: e.currentTarget.value })}>
                {["", "workflow", "train", "tuning", "predict"].map((s) => (
                  <option key={s} value={s} selected={s === stage}>
                    {s || "any pipeline"}
                  </option>
                ))}
              </select>
              <label>
                from{" "}
                <input
                  type="date"
                  aria-label="started from"
                  value={since}
                  onChange={(e) => go({ since: e.currentTarget.value })}
                />
              </label>
              <label>
                to{" "}
                <input
                  type="date"
                  aria-label="started until"
                  value={until}
                  onChange={(e) => go({ until: e.currentTarget.value })}
                />
              </label>
              <button
                type="button"
                disabled={picked.length < 2 || picked.length > 5}
                onClick={() => {
                  location.hash = `#/compare/${picked.map(enc).join(",")}`;
                }}
              >
                Compare selected
              </button>
              <span>{`${runs.length} runs`}</span>
            </div>
            <Table
              id="runs"
              header={[
                "",
                sortLink("name", "Name"),
                sortLink("status", "Status"),
                "Stage",
                sortLink("started", "Started"),
                sortLink("duration", "Time"),
                "Model",
                ...metrics.map((m) => sortLink(`metric:${m}`, m)),
              ]}
              rows={runs.map((r) => [
                <input
                  type="checkbox"
                  aria-label={`select ${r.id}`}
                  checked={picked.includes(r.id)}
                  onChange={(e) =>
                    setPicked((p) => (e.currentTarget.checked ? [...p, r.id] : p.filter((x) => x !== r.id)))
                  }
                />,
                <a href={`#/run/${enc(r.id)}`}>{r.name || r.id}</a>,
                <span class={r.status}>{r.status}</span>,
                r.tags["lolpop.stage"] ?? "",
                when(r.started_at),
                seconds(r),
                r.tags.model_name
                  ? `${r.tags.model_name}${r.tags.model_version ? `/${r.tags.model_version}` : ""}`
                  : "",
                ...metrics.map((m) => r.metrics[m] ?? ""),
              ])}
            />
          </>
        );
      }}
    </Page>
  );
}

const SPLITS = ["train", "valid", "test"];

/**
 * The metrics logged per split (`test.f1_macro`) with the baseline's (`baseline.test.f1_macro`) and
 * the champion's (`champion.test.f1_macro`) next to them, one row per metric and split.
 */
function splitMetrics(metrics: Record<string, number>) {
  const rows = new Map<
    string,
    { metric: string; split: string; value?: number; baseline?: number; champion?: number }
  >();
  for (const [key, v] of Object.entries(metrics)) {
    const m = /^(?:(baseline|champion)\.)?(train|valid|test)\.(.+)$/.exec(key);
    if (!m) continue;
    const [, who, split, metric] = m as unknown as [
      string,
      "baseline" | "champion" | undefined,
      string,
      string,
    ];
    const id = `${metric}\0${split}`;
    const row = rows.get(id) ?? { metric, split };
    row[who ?? "value"] = v;
    rows.set(id, row);
  }
  return [...rows.values()].sort((a, b) =>
    a.metric === b.metric ? SPLITS.indexOf(a.split) - SPLITS.indexOf(b.split) : a.metric < b.metric ? -1 : 1,
  );
}

export function RunPage(props: { id: string }) {
  const state = useData(
    () =>
      api<{
        run: RunRecord;
        children: RunInfo[];
        calls?: { run_id: string; calls: Array<{ path: string; count: number; ms: number; failed: number }> };
        log?: { run_id: string; records: Array<{ time: string; level: string; msg: string }> };
      }>(`runs/${enc(props.id)}`),
    [props.id],
  );
  usePoll(state.data?.run.status === "RUNNING", state.reload);
  return (
    <Page state={state}>
      {({ run, children, calls, log }) => {
        const metrics = Object.entries(run.metrics);
        const reports = run.artifacts.filter((a) => /\.html?$/i.test(a));
        const splits = splitMetrics(run.metrics);
        return (
          <>
            <h1>{`Run ${run.name || run.id}`}</h1>
            <p>
              <span class={run.status}>{run.status}</span>
              {` · started ${run.started_at}`}
              {run.ended_at ? ` · ended ${run.ended_at}` : ""}
            </p>
            {splits.length ? (
              <>
                <h2>Metrics per split</h2>
                <Table
                  id="split-metrics"
                  header={["Metric", "Split", "Value", "Baseline", "Champion"]}
                  rows={splits.map((r) => [
                    r.metric,
                    r.split,
                    r.value ?? "",
                    r.baseline ?? "",
                    r.champion ?? "",
                  ])}
                />
              </>
            ) : null}
            {calls?.calls.length ? (
              <>
                <h2>Component calls</h2>
                <Table
                  id="calls"
                  header={["Call", "Times", "Total ms", "Mean ms", "Failed"]}
                  rows={calls.calls.map((c) => [
                    c.path,
                    c.count,
                    Math.round(c.ms),
                    Math.round((c.ms / c.count) * 10) / 10,
                    c.failed,
                  ])}
                />
              </>
            ) : null}
            <h2>Metrics</h2>
            <Table header={["Metric", "Value"]} rows={metrics} />
            {metrics.length ? (
              <Bars items={metrics.map(([label, value]) => ({ label, value }))} title="metrics" />
            ) : null}
            <h2>Params</h2>
            <Table header={["Param", "Value"]} rows={Object.entries(run.params)} />
            <h2>Tags</h2>
            <Table header={["Tag", "Value"]} rows={Object.entries(run.tags)} />
            {run.datasets.length ? (
              <>
                <h2>Data</h2>
                <Table
                  id="datasets"
                  header={["Dataset", "Context", "Rows", "Columns", "Fingerprint"]}
                  rows={run.datasets.map((d) => [
                    d.name,
                    d.context ?? "",
                    d.rows,
                    d.schema?.length ? (
                      <span class="columns">
                        {d.schema.map((c, i) => (
                          <span key={i}>
                            {i ? ", " : null}
                            <code class="col" title={`${c.type}, ${c.role}`}>
                              {c.name}
                            </code>
                          </span>
                        ))}
                      </span>
                    ) : (
                      d.columns
                    ),
                    d.fingerprint.slice(0, 12),
                  ])}
                />
              </>
            ) : null}
            {run.artifacts.length ? (
              <>
                <h2>Artifacts</h2>
                <ul>
                  {run.artifacts.map((a) => (
                    <li key={a}>
                      {reports.includes(a) ? (
                        <a href={reportHref(run.id, a)} target="_blank" rel="noopener noreferrer">
                          {a}
                        </a>
                      ) : (
                        a
                      )}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {children.length ? (
              <>
                <h2>Child runs</h2>
                <Table
                  header={["Run", "Status"]}
                  rows={children.map((c) => [<a href={`#/run/${enc(c.id)}`}>{c.name || c.id}</a>, c.status])}
                />
              </>
            ) : null}
            {log?.records.length ? (
              <>
                <h2>Log</h2>
                <Table
                  id="log"
                  header={["Time", "Level", "Message"]}
                  rows={log.records.map((r) => [r.time.slice(11, 23), r.level, r.msg])}
                  rowClass={(i) => (log.records[i]!.level === "error" ? "differs" : undefined)}
                />
              </>
            ) : null}
          </>
        );
      }}
    </Page>
  );
}

const reportHref = (runId: string, name: string) =>
  `/reports/${enc(runId)}/${name.split("/").map(enc).join("/")}`;

interface CompareRow {
  section: string;
  key: string;
  values: unknown[];
  differs: boolean;
}

export function ComparePage(props: { ids: string }) {
  const state = useData(
    () =>
      api<{ runs: Array<{ id: string; name: string; status: string }>; rows: CompareRow[] }>(
        `compare?ids=${props.ids.split(",").map(enc).join(",")}`,
      ),
    [props.ids],
  );
  return (
    <Page state={state}>
      {({ runs, rows }) => {
        // One chart per metric that differs (baselines are the same for every run of a data set).
        const metricRows = rows.filter(
          (r) => r.section === "metric" && r.differs && !r.key.startsWith("baseline."),
        );
        // The id's end tells runs apart (a local id starts with its date, shared by a day's runs).
        const label = (r: { id: string; name: string }) => `${r.name || r.id} \u2026${r.id.slice(-8)}`;
        return (
          <>
            <h1>{`Compare ${runs.length} runs`}</h1>
            <Table
              id="compare"
              header={["Section", "Key", ...runs.map(label)]}
              rows={rows.map((r) => [r.section, r.key, ...r.values] as any[])}
              rowClass={(i) => (rows[i]!.differs ? "differs" : undefined)}
            />
            {metricRows.map((m) => (
              <Bars
                key={m.key}
                title={m.key}
                items={runs.map((r, j) => ({
                  label: label(r),
                  value: typeof m.values[j] === "number" ? (m.values[j] as number) : 0,
                }))}
              />
            ))}
          </>
        );
      }}
    </Page>
  );
}

export function ModelsPage() {
  const state = useData(
    () =>
      api<{
        models: Array<{ name: string; versions: number; champion: number | null; latest: number | null }>;
      }>("models"),
    [],
  );
  return (
    <Page state={state}>
      {({ models }) => (
        <>
          <h1>Models</h1>
          <Table
            header={["Model", "Versions", "Champion", "Latest"]}
            rows={models.map((m) => [
              <a href={`#/model/${enc(m.name)}`}>{m.name}</a>,
              m.versions,
              m.champion === null ? "none" : `v${m.champion}`,
              m.latest === null ? "" : `v${m.latest}`,
            ])}
          />
        </>
      )}
    </Page>
  );
}

function ConfirmButton(props: { label: string; path: string; done: () => void }) {
  return (
    <button
      type="button"
      onClick={async () => {
        if (!window.confirm(`${props.label}?`)) return;
        try {
          const out = await act<{ message?: string }>(props.path);
          window.alert(out.message ?? "done");
        } catch (e) {
          window.alert((e as Error).message);
        }
        props.done();
      }}
    >
      {props.label}
    </button>
  );
}

export function ModelPage(props: { name: string; info: Promise<Info> }) {
  const { name } = props;
  const state = useData(async () => {
    const [m, info] = await Promise.all([
      api<{
        name: string;
        champion: number | null;
        versions: ModelVersionInfo[];
        history: Array<{
          at: string;
          alias: string;
          previous: number | null;
          version: number;
          by?: string;
          reason?: string;
        }>;
      }>(`models/${enc(name)}`),
      props.info,
    ]);
    return { m, ro: info.readOnly };
  }, [name]);
  return (
    <Page state={state}>
      {({ m, ro }) => (
        <>
          <h1>{`Model ${m.name}`}</h1>
          <p>
            {`champion: ${m.champion === null ? "none" : `v${m.champion}`}`}{" "}
            {ro || m.champion === null ? null : (
              <ConfirmButton
                label={`Roll back ${m.name}`}
                path={`models/${enc(name)}/rollback`}
                done={state.reload}
              />
            )}
          </p>
          <Table
            header={["Version", "Created", "Aliases", "Approved", "Test metrics", ""]}
            rows={m.versions.map((v) => [
              <a href={`#/version/${enc(name)}/${v.version}`}>{`v${v.version}`}</a>,
              when(v.created_at),
              v.aliases.join(", ") ||
                (v.tags["lolpop.approved"] === "true" &&
                !m.history.some((e) => e.alias === "champion" && e.version === v.version)
                  ? "approved, not promoted"
                  : ""),
              v.tags["lolpop.approved"] === "true" ? "yes" : "no",
              Object.entries(v.metrics)
                .filter(([k]) => k.startsWith("test."))
                .map(([k, x]) => `${k}=${fmt(x)}`)
                .join(" "),
              ro ? (
                ""
              ) : (
                <span>
                  {v.tags["lolpop.approved"] === "true" ? null : (
                    <ConfirmButton
                      label={`Approve v${v.version}`}
                      path={`models/${enc(name)}/${v.version}/approve`}
                      done={state.reload}
                    />
                  )}
                  {v.aliases.includes("champion") ? null : (
                    <ConfirmButton
                      label={`Promote v${v.version}`}
                      path={`models/${enc(name)}/${v.version}/promote`}
                      done={state.reload}
                    />
                  )}
                </span>
              ),
            ])}
          />
          <h2>Promotion history</h2>
          <Table
            header={["When", "Alias", "From", "To", "By", "Reason"]}
            rows={m.history.map((e) => [
              e.at,
              e.alias,
              e.previous === null ? "none" : `v${e.previous}`,
              `v${e.version}`,
              e.by ?? "",
              e.reason ?? "",
            ])}
          />
        </>
      )}
    </Page>
  );
}

/**
 * Where a version stands, in words: approval alone does not make a version the champion (the
 * deploy pipeline's policy decides after `approve`, and may keep the champion), so an approved
 * version without the `champion` alias says so instead of "aliases: none".
 */
export function versionStatus(
  v: Pick<ModelVersionInfo, "version" | "aliases">,
  approved: boolean,
  champion: number | null,
  wasChampion: boolean,
): string {
  const others = v.aliases.filter((a) => a !== "champion");
  const also = others.length ? ` · aliases: ${others.join(", ")}` : "";
  const current = champion === null ? "no champion" : `champion: v${champion}`;
  if (champion === v.version) return `champion · approved: ${approved ? "yes" : "no"}${also}`;
  if (wasChampion)
    return `not the champion any more (${current}) · approved: ${approved ? "yes" : "no"}${also}`;
  if (approved)
    return `approved, not promoted (${current}): the deploy policy did not promote it; Promote on the model page makes it the champion${also}`;
  return `not approved (${current}): Approve on the model page applies the deploy policy${also}`;
}

interface Insights {
  importance: { trainer?: string; values: Array<{ feature: string; value: number }>; note?: string };
  curves: {
    run_id?: string;
    series: Array<{ key: string; points: Array<{ step: number; value: number }> }>;
    note?: string;
  };
  reports: Array<{ run_id: string; run_name: string; name: string; url: string }>;
}

/**
 * Groups curve series: each metric with its `val_`/`valid.` twin on one chart, titled by the
 * metric; a chart of one series is titled by its own key (validation accuracy alone is
 * `epoch.val_accuracy`, not `epoch.accuracy`).
 */
function curveGroups(series: Insights["curves"]["series"]) {
  const base = (k: string) => k.replace(/(^|\.)(val_|valid\.|train\.)/, "$1");
  const groups = new Map<string, Insights["curves"]["series"]>();
  for (const s of series) groups.set(base(s.key), [...(groups.get(base(s.key)) ?? []), s]);
  return [...groups.entries()].map(
    ([title, list]) => [list.length === 1 ? list[0]!.key : title, list] as const,
  );
}

export function VersionPage(props: { name: string; version: string }) {
  const { name, version } = props;
  const state = useData(async () => {
    const [d, insights] = await Promise.all([
      api<{
        version: ModelVersionInfo;
        approved: boolean;
        champion: number | null;
        history: Array<{ alias: string; version: number }>;
      }>(`models/${enc(name)}/${enc(version)}`),
      api<Insights>(`models/${enc(name)}/${enc(version)}/insights`),
    ]);
    return { ...d, insights };
  }, [name, version]);
  return (
    <Page state={state}>
      {({ version: v, approved, champion, history, insights }) => {
        const metrics = Object.entries(v.metrics);
        const { importance, curves, reports } = insights;
        return (
          <>
            <h1>{`${v.name} v${v.version}`}</h1>
            <p>
              <span id="version-status">
                {versionStatus(
                  v,
                  approved,
                  champion,
                  history.some((e) => e.alias === "champion" && e.version === v.version),
                )}
              </span>
              {" · "}
              <a href={`#/lineage/${enc(name)}/${v.version}`}>lineage</a>
              {v.run_id ? (
                <>
                  {" · "}
                  <a href={`#/run/${enc(v.run_id)}`}>run</a>
                </>
              ) : null}
            </p>
            <Table header={["Metric", "Value"]} rows={metrics} />
            {metrics.length ? (
              <Bars items={metrics.map(([label, value]) => ({ label, value }))} title="metrics" />
            ) : null}
            <h2>Feature importance</h2>
            {importance.values.length ? (
              <Bars
                id="importance"
                title={`feature importance (${importance.trainer ?? "model"})`}
                items={importance.values.map((f) => ({ label: f.feature, value: f.value }))}
              />
            ) : (
              <p class="note" id="importance-note">
                {importance.note ?? "none recorded"}
              </p>
            )}
            <h2>Training curves</h2>
            {curves.series.length ? (
              <div id="curves">
                {curveGroups(curves.series).map(([title, series]) => (
                  <Curves key={title} title={title} series={series} />
                ))}
              </div>
            ) : (
              <p class="note" id="curves-note">
                {curves.note ?? "none recorded"}
              </p>
            )}
            <h2>Reports</h2>
            {reports.length ? (
              <ul id="reports">
                {reports.map((r) => (
                  <li key={r.url}>
                    <a href={r.url} target="_blank" rel="noopener noreferrer">
                      {r.name}
                    </a>
                    {` (run ${r.run_name || r.run_id})`}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="note">no HTML reports (drift, profile) were stored with the runs of this version</p>
            )}
            <h2>Tags</h2>
            <Table header={["Tag", "Value"]} rows={Object.entries(v.tags)} />
          </>
        );
      }}
    </Page>
  );
}

interface Lineage {
  model: { name: string; version: number; run_id?: string; aliases: string[] };
  config_hash?: string;
  code?: { git_commit?: string; core_version?: string };
  data: Array<{
    name: string;
    fingerprint: string;
    rows: number;
    columns: number;
    context?: string;
    run_id: string;
  }>;
  runs: Array<{ id: string; name: string; stage?: string; parent_id?: string }>;
  prediction_jobs: Array<{ id: string; name: string; rows?: number; predictions_path?: string }>;
  notes: string[];
}

/** The lineage as nodes and edges: data -> runs (workflow run -> its step run) -> version -> predictions. */
export function lineageGraph(l: Lineage): { nodes: GraphNode[]; edges: Array<[string, string]> } {
  const nodes: GraphNode[] = [];
  const edges: Array<[string, string]> = [];
  const runCol = new Map<string, number>();
  l.runs.forEach((r, i) => runCol.set(r.id, 1 + i));
  const modelCol = 1 + Math.max(1, l.runs.length);
  const seen = new Set<string>();
  for (const d of l.data) {
    const id = `data:${d.fingerprint}:${d.name}`;
    if (!seen.has(id)) {
      seen.add(id);
      nodes.push({
        id,
        col: 0,
        kind: "data",
        label: `${d.name}${d.context ? ` (${d.context})` : ""}`,
        sub: `${d.fingerprint.slice(0, 12)} · ${d.rows} rows`,
      });
    }
    edges.push([id, `run:${d.run_id}`]);
  }
  l.runs.forEach((r, i) => {
    nodes.push({
      id: `run:${r.id}`,
      col: runCol.get(r.id)!,
      kind: "run",
      label: r.name || r.id,
      sub: `run · ${r.stage ?? ""}`,
      href: `#/run/${enc(r.id)}`,
    });
    if (i > 0) edges.push([`run:${l.runs[i - 1]!.id}`, `run:${r.id}`]);
  });
  const model = `model:${l.model.name}:${l.model.version}`;
  nodes.push({
    id: model,
    col: modelCol,
    kind: "model",
    label: `${l.model.name} v${l.model.version}`,
    sub: l.model.aliases.length ? l.model.aliases.join(", ") : "model version",
    href: `#/version/${enc(l.model.name)}/${l.model.version}`,
  });
  if (l.model.run_id && runCol.has(l.model.run_id)) edges.push([`run:${l.model.run_id}`, model]);
  for (const j of l.prediction_jobs) {
    nodes.push({
      id: `predictions:${j.id}`,
      col: modelCol + 1,
      kind: "predictions",
      label: j.name || j.id,
      sub: `predictions${j.rows !== undefined ? ` · ${j.rows} rows` : ""}`,
      href: `#/run/${enc(j.id)}`,
    });
    edges.push([model, `predictions:${j.id}`]);
  }
  return { nodes, edges };
}

export function LineagePage(props: { name: string; version: string }) {
  const state = useData(
    () => api<Lineage>(`lineage/${enc(props.name)}/${enc(props.version)}`),
    [props.name, props.version],
  );
  return (
    <Page state={state}>
      {(l) => {
        const g = lineageGraph(l);
        return (
          <>
            <h1>{`Lineage of ${l.model.name} v${l.model.version}`}</h1>
            <Graph id="lineage" label="lineage" nodes={g.nodes} edges={g.edges} />
            <p>
              {`config hash: ${l.config_hash ?? "?"} · git: ${l.code?.git_commit ?? "?"} · core: ${l.code?.core_version ?? "?"}`}
            </p>
            {l.notes.length ? (
              <ul class="notes">
                {l.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            ) : null}
          </>
        );
      }}
    </Page>
  );
}

/** The workflow as nodes and edges: runner -> pipelines (and global components) -> their components. */
export function workflowGraph(info: Info): { nodes: GraphNode[]; edges: Array<[string, string]> } {
  const g = info.graph;
  const sub = (c: { plugin: string; version: string | null }) =>
    `${c.plugin}${c.version ? ` ${c.version}` : ""}`;
  const nodes: GraphNode[] = [
    { id: "runner", col: 0, kind: "runner", label: `runner ${g.runner.type}`, sub: g.runner.plugin },
  ];
  const edges: Array<[string, string]> = [];
  for (const p of g.pipelines) {
    nodes.push({
      id: `pipeline:${p.attr}`,
      col: 1,
      kind: "pipeline",
      label: `${p.attr}: ${p.type}`,
      sub: sub(p),
    });
    edges.push(["runner", `pipeline:${p.attr}`]);
    for (const c of p.components) {
      const id = `component:${p.attr}.${c.attr}`;
      nodes.push({ id, col: 2, kind: "component", label: `${c.attr}: ${c.type}`, sub: sub(c) });
      edges.push([`pipeline:${p.attr}`, id]);
    }
  }
  for (const c of g.components) {
    const id = `component:${c.attr}`;
    nodes.push({ id, col: 1, kind: "component", label: `${c.attr}: ${c.type}`, sub: sub(c) });
    edges.push(["runner", id]);
  }
  return { nodes, edges };
}

export function GraphPage(props: { info: Promise<Info> }) {
  const state = useData(() => props.info, []);
  return (
    <Page state={state}>
      {(info) => {
        const g = workflowGraph(info);
        const rows = [
          ...info.graph.components.map((c) => ({ ...c, where: "global" })),
          ...info.graph.pipelines.flatMap((p) => [
            { ...p, where: "pipeline" },
            ...p.components.map((c) => ({ ...c, where: p.attr })),
          ]),
        ];
        return (
          <>
            <h1>{`Workflow (${info.config})`}</h1>
            <p>
              {`runner ${info.graph.runner.type} (${info.graph.runner.plugin}) · repository ${info.repository} · tracker ${info.tracker}`}
            </p>
            <Graph id="workflow" label="workflow graph" nodes={g.nodes} edges={g.edges} />
            <Table
              header={["Where", "Attribute", "Kind", "Type", "Plugin", "Version"]}
              rows={rows.map((c) => [c.where, c.attr, c.kind, c.type, c.plugin, c.version ?? ""])}
            />
          </>
        );
      }}
    </Page>
  );
}
