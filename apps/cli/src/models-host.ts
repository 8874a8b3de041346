/**
 * Creating a model version's saved components (data transformer, feature transformer, trainer)
 * outside a workflow, as a component context does: the type's plugin is imported when the config
 * does not use it. `lolpop models export` and `lolpop ui` (feature importance) load versions this way.
 */
import { dirname } from "node:path";
import type { BundleHost, Logger } from "@lolpop/core";
import type { ProjectStore } from "./models-store.js";

/**
 * A {@link BundleHost} over the project of `store`: `createComponent(kind, type, config)` imports
 * the installed plugin that lists `type` when it is not registered yet, and refuses a type that is
 * not installed or is of another kind. `path` names the components in messages (e.g. `export`).
 */
export async function versionComponentHost(
  store: ProjectStore,
  options: { path: string; logger: Logger },
): Promise<BundleHost> {
  const { standaloneHost } = await import("@lolpop/core");
  const { projectPlugins, typeLoader } = await import("./project.js");
  const plan = store.workflow.plan;
  const loadType = typeLoader(projectPlugins(plan.source).discovery);
  return standaloneHost({
    logger: options.logger,
    project: { root: dirname(plan.file), configFile: plan.file },
    loadType: (type) => loadType(type),
    path: options.path,
    missingType: (kind, type) =>
      new Error(
        `no ${kind} type "${type}" is installed in this project: install the plugin that provides it`,
      ),
  });
}
