/**
 * Creating a model version's saved components (data transformer, feature transformer, trainer)
 * outside a workflow, as a component context does: the type's plugin is imported when the config
 * does not use it. `lolpop models export` and `lolpop ui` (feature importance) load versions this way.
 */
import { dirname } from "node:path";
import type { BundleHost, ComponentKind, ComponentKinds, Logger } from "@lolpop/core";
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
  const core = await import("@lolpop/core");
  const { projectPlugins, typeLoader } = await import("./project.js");
  const plan = store.workflow.plan;
  const loadType = typeLoader(projectPlugins(plan.source).discovery);
  const project = { root: dirname(plan.file), configFile: plan.file };
  const { logger } = options;
  return {
    logger,
    async createComponent<K extends ComponentKind>(
      kind: K,
      type: string,
      config: Record<string, unknown> = {},
    ) {
      if (!core.resolveType(type)) await loadType(type);
      const registered = core.resolveType(type);
      if (!registered || registered.kind !== kind)
        throw new Error(
          `no ${kind} type "${type}" is installed in this project: install the plugin that provides it`,
        );
      return (await core.instantiateComponent(registered.definition as never, {
        config,
        path: `${options.path}.${kind}`,
        project,
        logger,
        loadType: (t) => loadType(t),
      })) as ComponentKinds[K];
    },
  };
}
