/**
 * The store a `models` or `gc` command works on: the `model_repository` and `metadata_tracker`
 * components the project's config configures (local store, MLflow...), built through
 * `loadProject` like a run builds them, so every command behaves the same on every store.
 */
import type { MetadataTracker, ModelRepository, Workflow } from "@lolpop/core";
import { ExitError } from "./format.js";

/** The project's store, opened from its config. */
export interface ProjectStore {
  workflow: Workflow;
  repo: ModelRepository;
  /** `undefined` when the config has no metadata_tracker. */
  tracker: MetadataTracker | undefined;
  /** `Type (plugin)` of the repository and tracker, for messages. */
  repoLabel: string;
  trackerLabel: string;
  /** Model names the config's pipelines use (`model_name`), in order. */
  configuredModels: string[];
  /** Releases connections (MLflow) so the process can exit. */
  close(): Promise<void>;
}

/** The first component of `kind`: global, else inside a pipeline. */
function findComponent(workflow: Workflow, kind: string) {
  const plan = workflow.plan;
  return (
    plan.components.find((c) => c.kind === kind) ??
    plan.pipelines.flatMap((p) => p.components).find((c) => c.kind === kind)
  );
}

/**
 * Opens the store of the project whose config is `config` (default: lolpop.yaml here or in the
 * nearest folder above), with `overrides` (`--set path=value`) applied to the config.
 */
export async function openStore(
  config: string | undefined,
  options: { overrides?: readonly string[] } = {},
): Promise<ProjectStore> {
  const { createLogger } = await import("@lolpop/core");
  const { openProject } = await import("./project.js");
  const loaded = await openProject(config, { overrides: options.overrides ?? [] });
  // Info lines of the components would mix with the command's own output: warnings only.
  const logger = createLogger({ level: process.env.LOLPOP_LOG_LEVEL ? undefined : "warn" });
  for (const f of loaded.pluginFailures) logger.warn(`plugin ${f.plugin} could not be loaded: ${f.error}`);
  const workflow = await loaded.createWorkflow({ logger });
  const repoPlan = findComponent(workflow, "model_repository");
  if (!repoPlan)
    throw new ExitError(
      2,
      `${workflow.plan.file} configures no model_repository: add one (e.g. components: {model_repository: LocalModelRepository})`,
    );
  const trackerPlan = findComponent(workflow, "metadata_tracker");
  const repo = workflow.component<ModelRepository>(repoPlan.path);
  const tracker = trackerPlan ? workflow.component<MetadataTracker>(trackerPlan.path) : undefined;
  const configuredModels: string[] = [];
  for (const p of workflow.plan.pipelines) {
    const n = p.config.model_name;
    if (typeof n === "string" && !configuredModels.includes(n)) configuredModels.push(n);
  }
  const label = (c: { type: string; registered: { plugin: string } } | undefined) =>
    c ? `${c.type} (${c.registered.plugin})` : "none";
  return {
    workflow,
    repo,
    tracker,
    repoLabel: label(repoPlan),
    trackerLabel: label(trackerPlan),
    configuredModels,
    async close() {
      for (const c of [repo, tracker] as Array<{ close?: () => Promise<void> } | undefined>)
        if (c && typeof c.close === "function") await c.close().catch(() => undefined);
    },
  };
}

/**
 * The optional contract method `method` of a component, bound; a clear error naming the component
 * type and its plugin when it lacks it (a plugin written before the method existed).
 */
export function requireMethod<T extends object, K extends keyof T>(
  component: T | undefined,
  method: K,
  label: string,
  kind: string,
  command: string,
): NonNullable<T[K]> {
  const fn = component?.[method];
  if (typeof fn !== "function")
    throw new ExitError(
      1,
      component
        ? `\`${command}\` needs ${kind}.${String(method)}(), which ${label} does not implement: upgrade that plugin, or use a ${kind} that does (LocalModelRepository/LocalMetadataTracker, MLflowModelRepository/MLflowMetadataTracker)`
        : `\`${command}\` needs a ${kind}, and the config has none`,
    );
  return (fn as (...a: unknown[]) => unknown).bind(component) as NonNullable<T[K]>;
}

/** A model reference (core's one rule: `name@alias`, `name/version`, a bare name is its champion). */
export type { ModelRef } from "@lolpop/core";
