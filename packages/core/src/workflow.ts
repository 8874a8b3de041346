import { planWorkflow, type WorkflowPlan } from "./config/plan.js";
import { resolveConfig } from "./config/resolve.js";
import { type ConfigSource, loadConfigFile, parseConfigText } from "./config/yaml-source.js";
import { createWorkflow, type EngineOptions, type Workflow } from "./engine.js";

/** Loads, resolves and validates a config file against the registered plugins (nothing is built or written). */
export async function validateConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ source: ConfigSource; plan: WorkflowPlan }> {
  const source = await loadConfigFile(file);
  return { source, plan: planWorkflow(source, resolveConfig(source, env)) };
}

/** Validates YAML text (label `file` is used in messages). */
export function validateConfigText(
  text: string,
  file = "<inline>",
  env: NodeJS.ProcessEnv = process.env,
): { source: ConfigSource; plan: WorkflowPlan } {
  const source = parseConfigText(text, file);
  return { source, plan: planWorkflow(source, resolveConfig(source, env)) };
}

/** Loads and validates a config file, then builds its workflow. */
export async function loadWorkflow(
  file: string,
  options: EngineOptions & { env?: NodeJS.ProcessEnv } = {},
): Promise<Workflow> {
  const { source, plan } = await validateConfigFile(file, options.env);
  return createWorkflow(plan, { ...options, source });
}
