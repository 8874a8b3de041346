import { partialRunOf, redactText, redactValue, stripControlChars, terminalJson } from "@lolpop/core";

/** A number in at most 8 characters: fixed 4 decimals, or exponent form when that would not fit. */
function fmt(v: unknown): string {
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return String(v);
  const fixed = v.toFixed(4);
  return fixed.length <= 8 ? fixed : v.toExponential(2);
}

/**
 * Renders a workflow summary for people. Values marked `*` have a note (`metric_notes`: MAPE over
 * zero actuals, a NaN with its reason) printed under the table. Control characters are stripped
 * (data-derived text reaches the terminal).
 */
export function renderSummary(s: Record<string, any>): string {
  const lines: string[] = [];
  if (s.process)
    lines.push(
      `data        ${s.process.rows} rows x ${s.process.columns} columns  (fingerprint ${String(s.process.fingerprint).slice(0, 12)})${s.process.data_check ? `  data check: ${s.process.data_check}` : ""}`,
    );
  const t = s.train;
  if (t) {
    lines.push(
      `winner      ${t.trainer} ${JSON.stringify(t.params)}${t.trials ? `  (${t.trials} trials)` : ""}`,
    );
    const splits = Object.keys(t.metrics);
    const names = Object.keys(t.metrics[splits[0]] ?? {});
    const width = Math.max(10, ...names.map((n: string) => n.length));
    lines.push("");
    lines.push(
      `  ${"metric".padEnd(width)}  ${splits.map((sp) => `${sp.padStart(8)} `).join(" ")}  ${"baseline".padStart(8)}`,
    );
    const notes: Record<string, Record<string, string>> = t.metric_notes ?? {};
    const cell = (sp: string, n: string) => `${fmt(t.metrics[sp][n])}${notes[sp]?.[n] ? "*" : " "}`;
    for (const n of names) {
      const base = t.baseline[t.comparison.split]?.[n];
      lines.push(
        `  ${n.padEnd(width)}  ${splits.map((sp) => cell(sp, n).padStart(9)).join(" ")}  ${(base === undefined ? "" : fmt(base)).padStart(8)}`,
      );
    }
    for (const [sp, byMetric] of Object.entries(notes))
      for (const [n, why] of Object.entries(byMetric)) lines.push(`  * ${n} (${sp}): ${why}`);
    lines.push("");
    const c = t.comparison;
    const champion =
      c.champion !== undefined
        ? `, champion v${t.champion.version} ${fmt(c.champion)}`
        : t.champion && t.champion.scored === false
          ? `, champion v${t.champion.version} not scored (${t.champion.reason})`
          : ", no champion yet";
    lines.push(
      `compare     ${t.perf_metric} on ${c.split}: challenger ${fmt(c.challenger)}, baseline ${fmt(c.baseline)}${champion}`,
    );
    lines.push(
      t.registered === false
        ? `model       ${t.model_name}: not registered, identical to v${t.identical_to ?? t.version} (same data, config and seeds; lolpop run --force registers it)`
        : `model       ${t.model_name} v${t.version} registered${t.refit_on_all_data ? " (refit on all data)" : ""}`,
    );
  }
  if (s.cached && typeof s.cached === "object") {
    // Steps taken from the step cache, grouped by the run that computed them.
    const byRun = new Map<string, string[]>();
    for (const [step, run] of Object.entries(s.cached as Record<string, string>))
      byRun.set(String(run), [...(byRun.get(String(run)) ?? []), step]);
    for (const [run, steps] of byRun)
      lines.push(`cached      ${steps.join(", ")} from run ${run} (lolpop run --no-cache runs them again)`);
  }
  if (s.deploy)
    lines.push(
      `promotion   ${s.deploy.promoted ? "PROMOTED" : "not promoted"}: ${s.deploy.reasons.join("; ")}${s.deploy.champion_version ? `  (champion: v${s.deploy.champion_version})` : ""}`,
    );
  if (s.predict)
    lines.push(`predictions ${s.predict.rows} rows with v${s.predict.version} -> ${s.predict.path}`);
  if (s.predict_skipped) lines.push(`predictions skipped: ${s.predict_skipped}`);
  const e = s.evaluate;
  if (e) {
    const metrics = Object.entries(e.metrics as Record<string, number>)
      .map(([k, v]) => `${k} ${fmt(v)}${e.metric_notes?.[k] ? "*" : ""}`)
      .join(", ");
    lines.push(
      `evaluation  v${e.model_version} on ${e.rows} rows with ground truth${e.unmatched ? ` (${e.unmatched} without)` : ""}${e.job_id ? ` (job ${e.job_id})` : ""}: ${metrics}`,
    );
    for (const [n, why] of Object.entries((e.metric_notes ?? {}) as Record<string, string>))
      lines.push(`  * ${n}: ${why}`);
  }
  return stripControlChars(lines.join("\n"));
}

/** The line that ends the summary of a failed run: where it stopped and why. */
export function renderFailure(step: string, message: string): string {
  const first = message.split("\n")[0] ?? message;
  // The message may quote data (a column name): no escape sequence reaches the terminal.
  return stripControlChars(`${/^Cancelled\b/.test(first) ? "INTERRUPTED" : "FAILED"} at ${step}: ${first}`);
}

/** How a run's outcome is printed: `json` for the JSON document, `lineage` added to it when known. */
export interface RunOutcomeOptions {
  json?: boolean;
  lineage?: unknown;
}

/**
 * What `lolpop run` (and a plugin's `runs attach`) writes on stdout when a run succeeded: the summary
 * for people, or `{ok: true, ...summary, lineage}` with `json`. Secrets are redacted.
 */
export function renderRunSucceeded(summary: Record<string, unknown>, opts: RunOutcomeOptions = {}): string {
  if (opts.json)
    return terminalJson({
      ok: true,
      ...summary,
      ...(opts.lineage !== undefined ? { lineage: opts.lineage } : {}),
    });
  return `\n${redactText(renderSummary(summary))}`;
}

/**
 * What is written on stdout when a run failed with `error` (`message` is its description): the
 * summary so far and the FAILED/INTERRUPTED line, or `{ok: false, summary, error, lineage}` with
 * `json`. An error that carries no partial run gives the JSON error alone, and no text (the caller
 * reports the error itself). Secrets are redacted.
 */
export function renderRunFailed(error: unknown, message: string, opts: RunOutcomeOptions = {}): string {
  const partial = partialRunOf(error);
  const text = redactText(message);
  if (opts.json)
    return terminalJson({
      ok: false,
      ...(partial ? { summary: redactValue(partial.summary) } : {}),
      error: { ...(partial ? { step: partial.step, code: partial.code } : {}), message: text },
      ...(opts.lineage !== undefined ? { lineage: opts.lineage } : {}),
    });
  if (!partial) return "";
  return `\n${redactText(renderSummary(partial.summary))}\n${renderFailure(partial.step, text)}`;
}
