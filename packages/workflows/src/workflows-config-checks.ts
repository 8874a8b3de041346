/**
 * The code checks of @lolpop/workflows' definitions (what JSON Schema cannot express), in a module
 * of their own: the definitions use these functions, and the package's `lolpop.configChecks` entry
 * exports them as `configChecks`, so `lolpop validate` runs them without importing the workflows.
 * Imports nothing but core types and `@lolpop/core/metrics`.
 */
import type { ConfigCheckInfo, ConfigCheckIssue, PlanComponentView, PlanIssue, PlanView } from "@lolpop/core";
import { METRIC_NAMES, metricProblemType } from "@lolpop/core/metrics";

/** The data connector a pipeline uses: its own, else the global one. */
export function connectorOf(plan: PlanView, pipeline: { components: readonly PlanComponentView[] }) {
  return (
    pipeline.components.find((c) => c.kind === "data_connector") ??
    plan.components.find((c) => c.kind === "data_connector")
  );
}

/** A connector's `columns:` typing option, when it has one. */
export function columnsOf(
  c: PlanComponentView | { config: Record<string, unknown> } | undefined,
): Record<string, string> {
  const cols = c?.config.columns;
  return cols && typeof cols === "object" && !Array.isArray(cols) ? (cols as Record<string, string>) : {};
}

/**
 * What `validate` checks statically: a predict pipeline replays the data transformer saved with
 * the model version, so a predict data_transformer is an error; and its connector may not type a
 * column differently from the process connector (the model was trained on it as that type).
 */
export function checkPredictPlan(plan: PlanView, self: { attr: string }): PlanIssue[] {
  const me = plan.pipelines.find((p) => p.attr === self.attr);
  if (!me) return [];
  const issues: PlanIssue[] = [];
  const dt = me.components.find((c) => c.kind === "data_transformer");
  if (dt)
    issues.push({
      path: [self.attr, "components", dt.attr],
      code: "predict_data_transformer",
      message: `OfflinePredict replays the process pipeline's data_transformer, saved with the model version it predicts with, so this one would never run: remove it (to change the transformation, change process.data_transformer and train a new version)`,
    });
  const mine = connectorOf(plan, me);
  for (const p of plan.pipelines) {
    if (p.type !== "OfflineProcess") continue;
    const theirs = connectorOf(plan, p);
    if (!mine || !theirs || theirs.path === mine.path) continue;
    const trained = columnsOf(theirs);
    for (const [name, typing] of Object.entries(columnsOf(mine))) {
      const t = trained[name];
      if (t === undefined || t === typing) continue;
      issues.push({
        path: [...mine.path.split("."), "config", "columns", name],
        code: "contradicts_training",
        message: `"${name}" is ${t} in ${theirs.path}.config.columns, so models are trained on it as ${t} and predict reads it the same way: remove it here, or make it ${t}`,
      });
    }
  }
  return issues;
}

/** `perf_metric` and `metrics` must be metrics of the runner's problem type. */
export function checkMetrics(
  cfg: { perf_metric?: unknown; metrics?: unknown },
  info: ConfigCheckInfo,
): ConfigCheckIssue[] {
  const problemType = info.problemType;
  if (!problemType) return [];
  const valid = METRIC_NAMES.filter((m) => metricProblemType(m) === problemType);
  const check = (name: unknown, path: Array<string | number>): ConfigCheckIssue[] =>
    typeof name === "string" &&
    (METRIC_NAMES as readonly string[]).includes(name) &&
    metricProblemType(name) !== problemType
      ? [
          {
            path,
            code: "metric_not_applicable",
            message: `${name} is a ${metricProblemType(name)} metric, and this workflow is ${problemType}: use one of ${valid.join(", ")}`,
          },
        ]
      : [];
  return [
    ...check(cfg.perf_metric, ["perf_metric"]),
    ...(Array.isArray(cfg.metrics) ? cfg.metrics.flatMap((m, i) => check(m, ["metrics", i])) : []),
  ];
}

/** The code checks by type, as `lolpop validate` imports them (`lolpop.configChecks`). */
export const configChecks = {
  OfflineTrain: { checkConfig: checkMetrics },
  OfflinePredict: { checkPlan: checkPredictPlan },
};
