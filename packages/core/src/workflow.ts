/**
 * Shortcuts over {@link loadProject} for library use: validate a config file or text against the
 * registered plugins, or load and build a workflow in one call.
 */
import { planWorkflow, type WorkflowPlan } from "./config/plan.js";
import { resolveConfig } from "./config/resolve.js";
import { type ConfigSource, parseConfigText } from "./config/yaml-source.js";
import type { EngineOptions, Workflow } from "./engine.js";
import { loadProject } from "./load-project.js";

/** Loads, resolves and validates a config file against the registered plugins (nothing is built or written). */
export async function validateConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ source: ConfigSource; plan: WorkflowPlan }> {
  const { plan } = await loadProject({ configPath: file, env });
  return { source: plan.source, plan };
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

/**
 * Loads and validates a config file against the registered plugins, then builds its workflow
 * (`loadProject` then `createWorkflow`).
 */
export async function loadWorkflow(
  file: string,
  options: EngineOptions & { env?: NodeJS.ProcessEnv } = {},
): Promise<Workflow> {
  const { env, project, loadType, ...engine } = options;
  const loaded = await loadProject({
    configPath: file,
    ...(env ? { env } : {}),
    ...(project ? { project } : {}),
    ...(loadType ? { discover: () => ({ loadType }) } : {}),
  });
  return loaded.createWorkflow(engine);
}
