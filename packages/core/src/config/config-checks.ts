/** Runs a definition's `checkConfig` (the config checks its JSON Schema cannot express). */
import type { AnyDefinition, ConfigCheckInfo, ConfigCheckIssue } from "../plugin.js";

/**
 * The issues `def.checkConfig` finds. They are collected with the schema's problems, so every
 * problem shows at once; when the config did not pass the schema (`schemaPassed` false) a check
 * that throws (it met a value of the wrong type) adds nothing, the schema problem says it all. A
 * check that throws on a config that passed the schema is reported as one issue.
 */
export function runConfigChecks(
  def: AnyDefinition,
  config: Record<string, unknown>,
  info: ConfigCheckInfo,
  schemaPassed = true,
): ConfigCheckIssue[] {
  if (!def.checkConfig) return [];
  try {
    return [...(def.checkConfig(config, info) ?? [])];
  } catch (e) {
    if (!schemaPassed) return [];
    return [
      {
        path: [],
        code: "config_check_failed",
        message: `the config check of ${def.type} failed: ${(e as Error)?.message ?? String(e)} (a bug in its plugin: report it)`,
      },
    ];
  }
}
