/**
 * A self-contained HTML report of lolpop's own: inline CSS and inline SVG charts, no script, no
 * external font or image (a Content-Security-Policy forbids loading anything). Every value that
 * comes from the data (column names, labels, numbers) is escaped.
 */
import type { Column, Table } from "@lolpop/core";
import type { DriftResult } from "./evidently-drift.js";
import type { DataSummary } from "./evidently-summary.js";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/** Longest label shown in full; longer ones are cut (the full text, up to 2000 characters, is in the tooltip). */
export const MAX_LABEL_CHARS = 120;

/** At most 2000 characters of a label, for tooltips. */
const clip = (value: string) => {
  const chars = Array.from(value);
  return chars.length > 2000 ? `${chars.slice(0, 2000).join("")}…` : value;
};

function label(value: string): string {
  const chars = Array.from(value);
  if (chars.length <= MAX_LABEL_CHARS) return escapeHtml(value);
  return `<span title="${escapeHtml(chars.slice(0, 2000).join(""))}">${escapeHtml(chars.slice(0, MAX_LABEL_CHARS).join(""))}…</span>`;
}

function fmt(v: number | undefined | null, digits = 4): string {
  if (v === undefined || v === null || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return v.toFixed(digits);
}

const pct = (v: number) => (Number.isNaN(v) ? "–" : `${(v * 100).toFixed(1)}%`);

interface Bars {
  labels: string[];
  ref?: number[];
  cur: number[];
}

/** Shares per bin (numbers: 20 equal-width bins over both sides' finite range) or per label (top 15 + other). */
function distribution(cur: Column, ref: Column | undefined): Bars | undefined {
  if (cur.type === "numeric" && (!ref || ref.type === "numeric")) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const arr of [cur.values, ref?.values]) {
      if (!arr) continue;
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i]!;
        if (Number.isFinite(v)) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
    }
    if (min > max) return undefined;
    const bins = min === max ? 1 : 20;
    const width = (max - min) / bins || 1;
    const hist = (arr: Float64Array) => {
      const out = new Array<number>(bins).fill(0);
      let n = 0;
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i]!;
        if (!Number.isFinite(v)) continue;
        n++;
        out[Math.min(bins - 1, Math.floor((v - min) / width))]!++;
      }
      return out.map((c) => (n ? c / n : 0));
    };
    const labels = Array.from({ length: bins }, (_, b) => fmt(min + b * width, 3));
    return { labels, cur: hist(cur.values), ...(ref?.type === "numeric" ? { ref: hist(ref.values) } : {}) };
  }
  const counts = (col: Column) => {
    const m = new Map<string, number>();
    let n = 0;
    if (col.type === "categorical") {
      for (let i = 0; i < col.codes.length; i++) {
        const c = col.codes[i]!;
        if (c < 0) continue;
        n++;
        const l = col.dictionary[c]!;
        m.set(l, (m.get(l) ?? 0) + 1);
      }
    } else
      for (let i = 0; i < col.values.length; i++) {
        const v = col.values[i]!;
        if (Number.isNaN(v)) continue;
        n++;
        m.set(String(v), (m.get(String(v)) ?? 0) + 1);
      }
    return { m, n };
  };
  const c = counts(cur);
  const r = ref ? counts(ref) : undefined;
  const total = new Map<string, number>();
  for (const src of [c, r])
    if (src) for (const [k, v] of src.m) total.set(k, (total.get(k) ?? 0) + v / (src.n || 1));
  const top = [...total.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  if (!top.length) return undefined;
  const shown = top.slice(0, 15);
  const other = top.length > 15;
  const shares = (src: { m: Map<string, number>; n: number }) => {
    const out = shown.map((k) => (src.m.get(k) ?? 0) / (src.n || 1));
    if (other) out.push(1 - out.reduce((s, x) => s + x, 0));
    return out;
  };
  return { labels: other ? [...shown, "(other)"] : shown, cur: shares(c), ...(r ? { ref: shares(r) } : {}) };
}

function chart(title: string, bars: Bars): string {
  const n = bars.labels.length;
  const W = 640;
  const H = 180;
  const left = 40;
  const bottom = 150;
  const top = 10;
  const slot = (W - left - 10) / n;
  const max = Math.max(...bars.cur, ...(bars.ref ?? []), 1e-12);
  const y = (v: number) => bottom - ((bottom - top) * v) / max;
  const parts: string[] = [];
  const series = bars.ref ? [bars.ref, bars.cur] : [bars.cur];
  const bw = (slot * 0.8) / series.length;
  bars.labels.forEach((l, i) => {
    series.forEach((s, k) => {
      const x = left + i * slot + slot * 0.1 + k * bw;
      const v = s[i] ?? 0;
      parts.push(
        `<rect class="${series.length === 2 && k === 0 ? "ref" : "cur"}" x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${Math.max(bw - 1, 1).toFixed(1)}" height="${(bottom - y(v)).toFixed(1)}"><title>${escapeHtml(clip(l))}: ${pct(v)}</title></rect>`,
      );
    });
    if (i % Math.ceil(n / 10) === 0) {
      const short = Array.from(l).slice(0, 12).join("") + (Array.from(l).length > 12 ? "…" : "");
      parts.push(
        `<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${escapeHtml(short)}</text>`,
      );
    }
  });
  parts.push(
    `<text x="2" y="${top + 8}">${pct(max)}</text><line x1="${left}" y1="${bottom}" x2="${W - 10}" y2="${bottom}" />`,
  );
  return `<figure><figcaption>${label(title)}</figcaption><svg role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${parts.join("")}</svg></figure>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2433;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#5b6477;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px;table-layout:auto}
th,td{border-bottom:1px solid #e3e6ec;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f4f6f9;white-space:nowrap}td.name{overflow-wrap:anywhere;min-width:120px;max-width:360px}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-weight:600;font-size:12px}
.drift{background:#fde2e1;color:#a3221b}.ok{background:#e1f5e6;color:#1c6b34}.skip{background:#eef0f4;color:#5b6477}
figure{margin:12px 0}figcaption{font-weight:600;font-size:13px;margin-bottom:4px;overflow-wrap:anywhere}
svg text{font-size:10px;fill:#5b6477}svg line{stroke:#9aa3b5}rect.ref{fill:#9aa3b5}rect.cur{fill:#d9534f}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
`;

/** What {@link renderHtmlReport} draws. */
export interface HtmlReportInput {
  /** Report title (escaped). */
  title: string;
  current: Table;
  reference?: Table;
  drift?: DriftResult;
  summary: DataSummary;
  /** ISO time shown in the header. */
  generatedAt?: string;
}

/** Renders the report as one self-contained HTML page. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const { drift, summary: s } = input;
  const out: string[] = [];
  out.push(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(input.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${label(input.title)}</h1>`,
    `<p class="meta">lolpop data report (Evidently 0.7 statistics) · ${escapeHtml(input.generatedAt ?? new Date().toISOString())} · current: ${s.rows} rows × ${s.columns} columns${input.reference ? ` · reference: ${input.reference.numRows} rows` : ""}</p>`,
  );
  if (drift) {
    out.push(
      `<h2>Data drift</h2><p id="dataset-drift"><span class="badge ${drift.dataset_drift ? "drift" : "ok"}">${drift.dataset_drift ? "Dataset drift detected" : "No dataset drift"}</span> ${drift.number_of_drifted_columns} of ${drift.number_of_columns} columns drifted (${pct(drift.share_of_drifted_columns)}; the dataset drifts at ${pct(drift.drift_share)}).</p>`,
      `<table id="drift-table"><thead><tr><th>Column</th><th>Type</th><th>Test</th><th>Score</th><th>Threshold</th><th>Drift when</th><th>Drift</th></tr></thead><tbody>`,
    );
    for (const c of drift.columns)
      out.push(
        `<tr><td class="name">${label(c.column)}</td><td>${c.column_type}</td><td>${escapeHtml(c.stattest_display)}</td><td class="num">${fmt(c.score)}</td><td class="num">${fmt(c.threshold)}</td><td>${escapeHtml(c.rule)}</td><td><span class="badge ${c.drifted ? "drift" : "ok"}">${c.drifted ? "Detected" : "Not detected"}</span></td></tr>`,
      );
    for (const k of drift.skipped)
      out.push(
        `<tr><td class="name">${label(k.column)}</td><td>${k.column_type}</td><td colspan="4">${escapeHtml(k.reason)}</td><td><span class="badge skip">Not tested</span></td></tr>`,
      );
    out.push(`</tbody></table>`);
  }
  out.push(
    `<h2>Dataset summary</h2><table id="dataset-summary"><tbody>`,
    ...(
      [
        ["Rows", s.rows],
        ["Columns", s.columns],
        [
          "Numerical / categorical / text / datetime columns",
          `${s.columns_by_type.numerical} / ${s.columns_by_type.categorical} / ${s.columns_by_type.text} / ${s.columns_by_type.datetime}`,
        ],
        ["Missing values (share of rows)", `${s.missing.count} (${pct(s.missing.share)})`],
        ["Duplicated rows", s.duplicated_rows],
        ["Duplicated columns", s.duplicated_columns],
        ["Almost duplicated columns", s.almost_duplicated_columns],
        ["Constant columns", s.constant_columns],
        ["Almost constant columns", s.almost_constant_columns],
        ["Empty rows", s.empty_rows],
        ["Empty columns", s.empty_columns],
      ] as Array<[string, unknown]>
    ).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    `</tbody></table>`,
    `<h2>Columns</h2><table id="column-summary"><thead><tr><th>Column</th><th>Type</th><th>Missing</th><th>Distinct</th><th>Min</th><th>Mean</th><th>Std</th><th>Median</th><th>Max</th></tr></thead><tbody>`,
  );
  for (const c of s.column_stats) {
    const n = c.numeric;
    out.push(
      `<tr><td class="name">${label(c.column)}</td><td>${c.column_type}</td><td class="num">${c.missing.count} (${pct(c.missing.share)})</td><td class="num">${c.unique}</td>` +
        (n
          ? `<td class="num">${fmt(n.min)}</td><td class="num">${fmt(n.mean)}</td><td class="num">${fmt(n.std)}</td><td class="num">${fmt(n.q50)}</td><td class="num">${fmt(n.max)}</td>`
          : `<td colspan="5" class="name">${label(
              Object.entries(c.values?.counts ?? {})
                .sort((a, b) => b[1] - a[1])
                .slice(0, 5)
                .map(([k, v]) => `${k}: ${v}`)
                .join(", "),
            )}</td>`) +
        `</tr>`,
    );
  }
  out.push(`</tbody></table>`);
  const charted = drift
    ? [...drift.columns.map((c) => c.column), ...drift.skipped.map((k) => k.column)]
    : s.column_stats.map((c) => c.column);
  if (charted.length) {
    out.push(
      `<h2>Distributions</h2><p class="legend">${input.reference ? `<span style="background:#9aa3b5"></span>reference` : ""}<span style="background:#d9534f"></span>current (share of non-missing values)</p>`,
    );
    for (const name of charted) {
      const bars = distribution(
        input.current.column(name),
        input.reference?.has(name) ? input.reference.column(name) : undefined,
      );
      if (bars) out.push(chart(name, bars));
    }
  }
  out.push(`</body></html>\n`);
  return out.join("\n");
}
