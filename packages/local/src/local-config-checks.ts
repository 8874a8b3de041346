/**
 * The code checks of @lolpop/local's definitions (what JSON Schema cannot express), in a module of
 * their own: the definitions use these functions, and the package's `lolpop.configChecks` entry
 * exports them as `configChecks`, so `lolpop validate` runs them without importing @lolpop/local.
 * The tuner's and the data transformer's checks stay in their modules (they need their parsers):
 * a config using those types makes validate import the plugin.
 */
// Core's checks entry, not all of core: `lolpop validate` imports this module on its own.
import { type ConfigCheckIssue, checkModelExportPlan } from "@lolpop/core/checks";

/**
 * The rules of `LocalDataSplitter`'s config that JSON Schema cannot express: `split_ratio`
 * sums to 1, method `column` needs `split_column` and method `time` needs `time_column`. Run by
 * validation (`lolpop validate`, a run, `instantiateComponent`).
 */
export function checkSplitterConfig(cfg: {
  split_ratio?: number[];
  method?: string;
  split_column?: string | null;
  time_column?: string | null;
}): ConfigCheckIssue[] {
  const issues: ConfigCheckIssue[] = [];
  const ratios = cfg.split_ratio ?? [0.7, 0.15, 0.15];
  const sum = ratios.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9)
    issues.push({
      path: ["split_ratio"],
      message: `split_ratio [${ratios.join(", ")}] sums to ${Number(sum.toPrecision(12))}, it must sum to 1`,
    });
  if (cfg.method === "column" && !cfg.split_column)
    issues.push({
      path: ["split_column"],
      code: "missing_key",
      message: "method column needs split_column (a column of train/valid/test values)",
    });
  if (cfg.method === "time" && !cfg.time_column)
    issues.push({
      path: ["time_column"],
      code: "missing_key",
      message: "method time needs time_column (a numeric or datetime column)",
    });
  return issues;
}

/** `LocalFeatureTransformer`: `numeric_impute: constant` needs a number as `fill_value`. */
export function checkFeatureTransformerConfig(config: {
  numeric_impute?: string;
  fill_value?: unknown;
}): ConfigCheckIssue[] {
  return config.numeric_impute === "constant" && typeof config.fill_value === "string"
    ? [
        {
          path: ["fill_value"],
          message: `numeric_impute constant needs a number as fill_value, got "${config.fill_value}"`,
        },
      ]
    : [];
}

/** The code checks by type, as `lolpop validate` imports them (`lolpop.configChecks`). */
export const configChecks = {
  LocalDataSplitter: { checkConfig: checkSplitterConfig },
  LocalFeatureTransformer: { checkConfig: checkFeatureTransformerConfig },
  LocalModelRepository: { checkPlan: checkModelExportPlan },
};
