// Charts of the page. Bars and graphs are SVG made by Preact (every label is a text node); line
// charts (training curves) are uPlot on a canvas, with the points also listed in a table.
import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { fmt } from "./api.js";

/** Characters of a bar's label that fit left of its bar; longer ones end in "…" (the full label is the bar's tooltip). */
const LABEL_CHARS = 30;

/** A horizontal bar chart of {label, value}. */
export function Bars(props: { items: Array<{ label: string; value: number }>; title: string; id?: string }) {
  const { items, title } = props;
  const max = Math.max(...items.map((i) => Math.abs(i.value)), 1e-12);
  const rowH = 18;
  return (
    <svg
      id={props.id}
      class="bars"
      width={580}
      height={items.length * rowH + 24}
      role="img"
      aria-label={title}
    >
      <text x={0} y={12}>
        {title}
      </text>
      {items.map((it, i) => {
        const y = 20 + i * rowH;
        return (
          <g class="bar" key={i}>
            <title>{`${it.label}: ${fmt(it.value)}`}</title>
            <text class="label" x={0} y={y + 12}>
              {clip(it.label, LABEL_CHARS)}
            </text>
            <rect
              x={200}
              y={y}
              width={Math.max(1, (300 * Math.abs(it.value)) / max)}
              height={rowH - 4}
              fill="#5b8def"
            />
            <text class="value" x={510} y={y + 12}>
              {fmt(it.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

const COLORS = ["#2f6fdf", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285"];

/** Line chart of series over steps (uPlot), and the same points as a table. */
export function Curves(props: {
  title: string;
  series: Array<{ key: string; points: Array<{ step: number; value: number }> }>;
}) {
  const host = useRef<HTMLDivElement>(null);
  const { series, title } = props;
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p.step)))].sort((a, b) => a - b);
  useEffect(() => {
    let plot: uPlot | undefined;
    let live = true;
    // uPlot is loaded with the first chart (its own chunk): the runs page does not wait for it.
    import("uplot").then(({ default: UPlot }) => {
      if (!live || !host.current) return;
      plot = draw(UPlot, host.current);
    });
    return () => {
      live = false;
      plot?.destroy();
    };
  }, [series, title]);
  const draw = (UPlot: typeof uPlot, el: HTMLElement) => {
    const data: uPlot.AlignedData = [
      steps,
      ...series.map((s) => {
        const at = new Map(s.points.map((p) => [p.step, p.value]));
        return steps.map((x) => at.get(x) ?? null);
      }),
    ];
    return new UPlot(
      {
        title,
        width: 560,
        height: 240,
        scales: { x: { time: false } },
        axes: [{ label: "step" }, {}],
        series: [
          { label: "step" },
          ...series.map((s, i) => ({ label: s.key, stroke: COLORS[i % COLORS.length], width: 2 })),
        ],
      },
      data,
      el,
    );
  };
  return (
    <figure class="curves" data-title={title}>
      <div ref={host} />
      <details>
        <summary>points</summary>
        <table class="curve-points">
          <thead>
            <tr>
              <th>step</th>
              {series.map((s) => (
                <th key={s.key}>{s.key}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {steps.map((x) => (
              <tr key={x}>
                <td class="num">{x}</td>
                {series.map((s) => (
                  <td class="num" key={s.key}>
                    {fmt(s.points.find((p) => p.step === x)?.value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** A node of {@link Graph}: `col` is its column (left to right), `href` where a click goes. */
export interface GraphNode {
  id: string;
  col: number;
  kind: string;
  label: string;
  sub?: string;
  href?: string;
}

const NODE_W = 240;
const NODE_H = 46;
const COL_GAP = 60;
const ROW_GAP = 16;

/** A left-to-right graph in SVG: nodes in columns, edges as curves from right side to left side. */
export function Graph(props: {
  nodes: GraphNode[];
  edges: Array<[string, string]>;
  label: string;
  id?: string;
}) {
  const { nodes, edges } = props;
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const row = rows.get(n.col) ?? 0;
    rows.set(n.col, row + 1);
    at.set(n.id, { x: 10 + n.col * (NODE_W + COL_GAP), y: 10 + row * (NODE_H + ROW_GAP) });
  }
  const cols = Math.max(0, ...nodes.map((n) => n.col)) + 1;
  const height = Math.max(1, ...rows.values()) * (NODE_H + ROW_GAP) + 10;
  return (
    <svg
      id={props.id}
      class="graph"
      width={cols * (NODE_W + COL_GAP)}
      height={height}
      role="img"
      aria-label={props.label}
    >
      {edges.map(([from, to]) => {
        const a = at.get(from);
        const b = at.get(to);
        if (!a || !b) return null;
        const x1 = a.x + NODE_W;
        const y1 = a.y + NODE_H / 2;
        const x2 = b.x;
        const y2 = b.y + NODE_H / 2;
        const mid = (x1 + x2) / 2;
        return (
          <path
            key={`${from}->${to}`}
            class="edge"
            data-from={from}
            data-to={to}
            d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
          />
        );
      })}
      {nodes.map((n) => {
        const p = at.get(n.id)!;
        const body = (
          <g
            class={`node ${n.kind}`}
            data-node={n.id}
            data-kind={n.kind}
            transform={`translate(${p.x},${p.y})`}
          >
            <title>{[n.label, n.sub].filter(Boolean).join("\n")}</title>
            <rect width={NODE_W} height={NODE_H} rx={6} />
            <text class="node-label" x={8} y={18}>
              {clip(n.label, 36)}
            </text>
            {n.sub ? (
              <text class="node-sub" x={8} y={36}>
                {clip(n.sub, 40)}
              </text>
            ) : null}
          </g>
        );
        return n.href ? (
          <a key={n.id} href={n.href}>
            {body}
          </a>
        ) : (
          <g key={n.id}>{body}</g>
        );
      })}
    </svg>
  );
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
