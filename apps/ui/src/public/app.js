// The page of `lolpop ui`: plain DOM, every data value set as text (never parsed as HTML).
const csrf = document.querySelector('meta[name="lolpop-csrf"]').content;
const root = document.getElementById("app");
const SVG = "http://www.w3.org/2000/svg";
let timer;
let info;
// Asked once, in parallel with the first page's data (the runs page does not wait for it).
const infoReady = api("info").then((i) => {
  info = i;
  document.getElementById("mode").textContent = i.readOnly ? "read-only" : "";
  return i;
});
infoReady.catch(() => undefined); // a page that needs it shows the error

function h(tag, attrs, ...children) {
  const el = tag.startsWith("svg:")
    ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  return el;
}
const link = (href, text) => h("a", { href }, text);
const fmt = (v) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : (v ?? ""));
const enc = encodeURIComponent;

async function api(path, init) {
  const res = await fetch(`/api/${path}`, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}
async function act(path, body) {
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-lolpop-csrf": csrf },
    body: JSON.stringify(body ?? {}),
  });
}
function show(...nodes) {
  root.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  root.dataset.ready = "1";
}
function table(header, rows, rowAttrs) {
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        header.map((c) => h("th", {}, c)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((r, i) =>
        h(
          "tr",
          rowAttrs ? rowAttrs(i) : {},
          r.map((c) =>
            h(
              "td",
              typeof c === "number" ? { class: "num" } : {},
              typeof c === "object" && c !== null ? c : fmt(c),
            ),
          ),
        ),
      ),
    ),
  );
}
/** A horizontal bar chart of {label, value} (SVG, labels as text nodes). */
function bars(items, title) {
  const max = Math.max(...items.map((i) => Math.abs(i.value)), 1e-12);
  const rowH = 18;
  const svg = h("svg:svg", {
    width: 520,
    height: items.length * rowH + 24,
    role: "img",
    "aria-label": title,
  });
  svg.append(h("svg:text", { x: 0, y: 12 }, title));
  items.forEach((it, i) => {
    const y = 20 + i * rowH;
    svg.append(
      h("svg:text", { x: 0, y: y + 12 }, it.label),
      h("svg:rect", {
        x: 160,
        y,
        width: Math.max(1, (300 * Math.abs(it.value)) / max),
        height: rowH - 4,
        fill: "#5b8def",
      }),
      h("svg:text", { x: 465, y: y + 12 }, fmt(it.value)),
    );
  });
  return svg;
}

async function runsPage(params) {
  const status = params.get("status") ?? "";
  const sort = params.get("sort") ?? "";
  const q = new URLSearchParams({
    ...(status ? { status } : {}),
    ...(sort ? { sort } : {}),
    limit: params.get("limit") ?? "100",
  });
  const { runs } = await api(`runs?${q}`);
  const picked = new Set();
  const compare = h(
    "button",
    { disabled: true, onclick: () => (location.hash = `#/compare/${[...picked].map(enc).join(",")}`) },
    "Compare selected",
  );
  const select = h(
    "select",
    {
      "aria-label": "status",
      onchange: (e) => (location.hash = `#/runs?${new URLSearchParams({ status: e.target.value, sort })}`),
    },
    ["", "RUNNING", "FINISHED", "FAILED"].map((s) =>
      h("option", { value: s, selected: s === status }, s || "any status"),
    ),
  );
  const sortLink = (key, label) =>
    link(`#/runs?${new URLSearchParams({ status, sort: sort === key ? `-${key}` : key })}`, label);
  show(
    h("h1", {}, "Runs"),
    h("div", { class: "toolbar" }, select, compare, h("span", {}, `${runs.length} runs`)),
    table(
      [
        "",
        sortLink("name", "Name"),
        sortLink("status", "Status"),
        "Stage",
        sortLink("started", "Started"),
        sortLink("duration", "Time"),
        "Model",
      ],
      runs.map((r) => [
        h("input", {
          type: "checkbox",
          "aria-label": `select ${r.id}`,
          onchange: (e) => {
            e.target.checked ? picked.add(r.id) : picked.delete(r.id);
            compare.disabled = picked.size < 2 || picked.size > 5;
          },
        }),
        link(`#/run/${enc(r.id)}`, r.name || r.id),
        h("span", { class: r.status }, r.status),
        r.tags["lolpop.stage"] ?? "",
        r.started_at.replace("T", " ").slice(0, 19),
        r.ended_at ? `${((Date.parse(r.ended_at) - Date.parse(r.started_at)) / 1000).toFixed(1)} s` : "",
        r.tags.model_name
          ? `${r.tags.model_name}${r.tags.model_version ? `/${r.tags.model_version}` : ""}`
          : "",
      ]),
    ),
  );
  root.querySelector("table")?.setAttribute("id", "runs");
  if (runs.some((r) => r.status === "RUNNING")) timer = setTimeout(route, 2000);
}

async function runPage(id) {
  const { run, children } = await api(`runs/${enc(id)}`);
  const metrics = Object.entries(run.metrics);
  show(
    h("h1", {}, `Run ${run.name || run.id}`),
    h(
      "p",
      {},
      h("span", { class: run.status }, run.status),
      ` · started ${run.started_at}`,
      run.ended_at ? ` · ended ${run.ended_at}` : "",
    ),
    h("h2", {}, "Metrics"),
    table(["Metric", "Value"], metrics),
    metrics.length
      ? bars(
          metrics.map(([label, value]) => ({ label, value })),
          "metrics",
        )
      : null,
    h("h2", {}, "Params"),
    table(["Param", "Value"], Object.entries(run.params)),
    h("h2", {}, "Tags"),
    table(["Tag", "Value"], Object.entries(run.tags)),
    children.length
      ? [
          h("h2", {}, "Child runs"),
          table(
            ["Run", "Status"],
            children.map((c) => [link(`#/run/${enc(c.id)}`, c.name || c.id), c.status]),
          ),
        ]
      : null,
  );
  if (run.status === "RUNNING") timer = setTimeout(route, 2000);
}

async function comparePage(ids) {
  const { runs, rows } = await api(`compare?ids=${ids.split(",").map(enc).join(",")}`);
  // One chart per metric that differs (baselines are the same for every run of a data set).
  const metricRows = rows.filter(
    (r) => r.section === "metric" && r.differs && !r.key.startsWith("baseline."),
  );
  const label = (r) => `${r.name || r.id} ${r.id.slice(0, 8)}`;
  show(
    h("h1", {}, `Compare ${runs.length} runs`),
    table(
      ["Section", "Key", ...runs.map(label)],
      rows.map((r) => [r.section, r.key, ...r.values]),
      (i) => (rows[i].differs ? { class: "differs" } : {}),
    ),
    metricRows.map((m) =>
      bars(
        runs.map((r, j) => ({
          label: label(r),
          value: typeof m.values[j] === "number" ? m.values[j] : 0,
        })),
        m.key,
      ),
    ),
  );
  root.querySelector("table")?.setAttribute("id", "compare");
}

async function modelsPage() {
  const { models } = await api("models");
  show(
    h("h1", {}, "Models"),
    table(
      ["Model", "Versions", "Champion", "Latest"],
      models.map((m) => [
        link(`#/model/${enc(m.name)}`, m.name),
        m.versions,
        m.champion === null ? "none" : `v${m.champion}`,
        m.latest === null ? "" : `v${m.latest}`,
      ]),
    ),
  );
}

function confirmAct(label, path, body) {
  return h(
    "button",
    {
      onclick: async () => {
        if (!window.confirm(`${label}?`)) return;
        try {
          const out = await act(path, body);
          window.alert(out.message ?? "done");
        } catch (e) {
          window.alert(e.message);
        }
        route();
      },
    },
    label,
  );
}

async function modelPage(name) {
  const m = await api(`models/${enc(name)}`);
  const ro = info?.readOnly;
  show(
    h("h1", {}, `Model ${m.name}`),
    h(
      "p",
      {},
      `champion: ${m.champion === null ? "none" : `v${m.champion}`}`,
      " ",
      ro || m.champion === null ? null : confirmAct(`Roll back ${m.name}`, `models/${enc(name)}/rollback`),
    ),
    table(
      ["Version", "Created", "Aliases", "Approved", "Test metrics", ""],
      m.versions.map((v) => [
        link(`#/version/${enc(name)}/${v.version}`, `v${v.version}`),
        v.created_at.replace("T", " ").slice(0, 19),
        v.aliases.join(", "),
        v.tags["lolpop.approved"] === "true" ? "yes" : "no",
        Object.entries(v.metrics)
          .map(([k, x]) => `${k}=${fmt(x)}`)
          .join(" "),
        ro
          ? ""
          : h(
              "span",
              {},
              v.tags["lolpop.approved"] === "true"
                ? null
                : confirmAct(`Approve v${v.version}`, `models/${enc(name)}/${v.version}/approve`),
              v.aliases.includes("champion")
                ? null
                : confirmAct(`Promote v${v.version}`, `models/${enc(name)}/${v.version}/promote`),
            ),
      ]),
    ),
    h("h2", {}, "Promotion history"),
    table(
      ["When", "Alias", "From", "To", "By", "Reason"],
      m.history.map((e) => [
        e.at,
        e.alias,
        e.previous === null ? "none" : `v${e.previous}`,
        `v${e.version}`,
        e.by ?? "",
        e.reason ?? "",
      ]),
    ),
  );
}

async function versionPage(name, version) {
  const d = await api(`models/${enc(name)}/${enc(version)}`);
  const v = d.version;
  const metrics = Object.entries(v.metrics);
  show(
    h("h1", {}, `${v.name} v${v.version}`),
    h(
      "p",
      {},
      `aliases: ${v.aliases.join(", ") || "none"} · approved: ${d.approved ? "yes" : "no"} · `,
      link(`#/lineage/${enc(name)}/${v.version}`, "lineage"),
      v.run_id ? [" · ", link(`#/run/${enc(v.run_id)}`, "run")] : null,
    ),
    table(["Metric", "Value"], metrics),
    metrics.length
      ? bars(
          metrics.map(([label, value]) => ({ label, value })),
          "metrics",
        )
      : null,
    h("h2", {}, "Tags"),
    table(["Tag", "Value"], Object.entries(v.tags)),
  );
}

async function lineagePage(name, version) {
  const l = await api(`lineage/${enc(name)}/${enc(version)}`);
  const nodes = [
    ...(l.data ?? []).map((d) => `data: ${d.name} (${d.rows} rows)`),
    ...(l.runs ?? []).map((r) => `run: ${r.name || r.id} (${r.stage ?? ""})`),
    `model: ${l.model.name} v${l.model.version}`,
    ...(l.prediction_jobs ?? []).map((r) => `predictions: ${r.name || r.id}`),
  ];
  const svg = h("svg:svg", {
    width: 700,
    height: nodes.length * 44 + 10,
    role: "img",
    "aria-label": "lineage",
  });
  nodes.forEach((n, i) => {
    const y = 5 + i * 44;
    svg.append(
      h("svg:rect", { x: 5, y, width: 600, height: 28, fill: "#eef3fb", stroke: "#5b8def" }),
      h("svg:text", { x: 14, y: y + 18 }, n),
    );
    if (i > 0) svg.append(h("svg:line", { x1: 300, y1: y - 16, x2: 300, y2: y, stroke: "#5b8def" }));
  });
  show(
    h("h1", {}, `Lineage of ${l.model.name} v${l.model.version}`),
    svg,
    h(
      "p",
      {},
      `config hash: ${l.config_hash ?? "?"} · git: ${l.code?.git_commit ?? "?"} · core: ${l.code?.core_version ?? "?"}`,
    ),
  );
}

async function graphPage() {
  const g = info.graph;
  const rows = [
    ...g.components.map((c) => ({ ...c, where: "global" })),
    ...g.pipelines.flatMap((p) => [
      { ...p, where: "pipeline" },
      ...p.components.map((c) => ({ ...c, where: p.attr })),
    ]),
  ];
  show(
    h("h1", {}, `Workflow (${info.config})`),
    h(
      "p",
      {},
      `runner ${g.runner.type} (${g.runner.plugin}) · repository ${info.repository} · tracker ${info.tracker}`,
    ),
    table(
      ["Where", "Attribute", "Kind", "Type", "Plugin", "Version"],
      rows.map((c) => [c.where, c.attr, c.kind, c.type, c.plugin, c.version ?? ""]),
    ),
  );
}

async function route() {
  clearTimeout(timer);
  delete root.dataset.ready;
  const [path, query] = (location.hash.slice(1) || "/runs").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] !== "runs" && parts.length) await infoReady;
    const [page, a, b] = parts;
    if (page === "run") await runPage(a);
    else if (page === "compare") await comparePage(a);
    else if (page === "models") await modelsPage();
    else if (page === "model") await modelPage(a);
    else if (page === "version") await versionPage(a, b);
    else if (page === "lineage") await lineagePage(a, b);
    else if (page === "graph") await graphPage();
    else await runsPage(new URLSearchParams(query ?? ""));
  } catch (e) {
    show(h("p", { class: "error" }, e.message));
  }
}
window.addEventListener("hashchange", route);
route();
