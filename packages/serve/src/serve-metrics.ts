/**
 * The server's Prometheus metrics (text exposition format 0.0.4): requests and errors by route and
 * status, a request latency histogram, predicted rows by model version, the version served now and
 * how often it switched. One set per process (with `--workers N`, per worker).
 */

/** Upper bounds (seconds) of the latency histogram's buckets. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Escapes a label value (backslash, quote, newline). */
function label(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** The metrics of one server. */
export class ServeMetrics {
  private readonly requests = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private readonly predictedRows = new Map<string, number>();
  private readonly buckets = new Map<string, number[]>();
  private readonly sums = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private modelVersion = 0;
  private switches = 0;

  constructor(private readonly model: string) {}

  /** Counts a finished request. */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `method="${label(method)}",route="${label(route)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (status >= 400) this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    const hk = `route="${label(route)}"`;
    let b = this.buckets.get(hk);
    if (!b) {
      b = new Array(LATENCY_BUCKETS.length).fill(0);
      this.buckets.set(hk, b);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) b[i]!++;
    this.sums.set(hk, (this.sums.get(hk) ?? 0) + seconds);
    this.counts.set(hk, (this.counts.get(hk) ?? 0) + 1);
  }

  /** Counts rows predicted by a version. */
  predicted(version: number, rows: number): void {
    const key = String(version);
    this.predictedRows.set(key, (this.predictedRows.get(key) ?? 0) + rows);
  }

  /** Records the version served now (a change counts as a switch). */
  served(version: number): void {
    if (this.modelVersion !== 0 && version !== this.modelVersion) this.switches++;
    this.modelVersion = version;
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    const m = `model="${label(this.model)}"`;
    out.push(
      "# HELP lolpop_serve_requests_total HTTP requests answered.",
      "# TYPE lolpop_serve_requests_total counter",
    );
    for (const [k, v] of this.requests) out.push(`lolpop_serve_requests_total{${k}} ${v}`);
    out.push(
      "# HELP lolpop_serve_errors_total HTTP requests answered with a 4xx or 5xx status.",
      "# TYPE lolpop_serve_errors_total counter",
    );
    for (const [k, v] of this.errors) out.push(`lolpop_serve_errors_total{${k}} ${v}`);
    out.push(
      "# HELP lolpop_serve_request_duration_seconds Time from request to response.",
      "# TYPE lolpop_serve_request_duration_seconds histogram",
    );
    for (const [k, b] of this.buckets) {
      LATENCY_BUCKETS.forEach((le, i) =>
        out.push(`lolpop_serve_request_duration_seconds_bucket{${k},le="${le}"} ${b[i]}`),
      );
      out.push(`lolpop_serve_request_duration_seconds_bucket{${k},le="+Inf"} ${this.counts.get(k)}`);
      out.push(`lolpop_serve_request_duration_seconds_sum{${k}} ${this.sums.get(k)}`);
      out.push(`lolpop_serve_request_duration_seconds_count{${k}} ${this.counts.get(k)}`);
    }
    out.push(
      "# HELP lolpop_serve_predicted_rows_total Rows predicted, by model version.",
      "# TYPE lolpop_serve_predicted_rows_total counter",
    );
    for (const [v, n] of this.predictedRows)
      out.push(`lolpop_serve_predicted_rows_total{${m},version="${v}"} ${n}`);
    out.push(
      "# HELP lolpop_serve_model_version The model version served now.",
      "# TYPE lolpop_serve_model_version gauge",
    );
    out.push(`lolpop_serve_model_version{${m}} ${this.modelVersion}`);
    out.push(
      "# HELP lolpop_serve_model_switches_total Times the served version changed (alias moved).",
      "# TYPE lolpop_serve_model_switches_total counter",
    );
    out.push(`lolpop_serve_model_switches_total{${m}} ${this.switches}`);
    return `${out.join("\n")}\n`;
  }
}
