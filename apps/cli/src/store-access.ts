/**
 * The project's stores for the commands that read or use them (`runs`, `lineage`, `predict`): the
 * config (found from parent folders, with `--set` overrides) is loaded and validated like `lolpop
 * run` does, the workflow is built, and its metadata tracker and model repository are used through
 * their contracts, so every command works with any store (the local one, MLflow...).
 */
import type { LoadedProject, MetadataTracker, ModelRepository, Workflow } from "@lolpop/core";
import { ExitError } from "./format.js";

/** Options every store command takes. */
export interface StoreCommandOptions {
  /** The config file (default: lolpop.yaml here or in the nearest folder above). */
  config?: string;
  /** `path=value` config overrides. */
  set?: string[];
}

/** A built workflow and the stores it has. */
export interface ProjectStores {
  loaded: LoadedProject;
  workflow: Workflow;
  /** The metadata tracker. @throws ExitError (2) when the config has none. */
  tracker(): MetadataTracker;
  /** The model repository. @throws ExitError (2) when the config has none. */
  repository(): ModelRepository;
}

/** The global component of `kind`, or an error saying how to add one. */
function componentOf<T>(loaded: LoadedProject, workflow: Workflow, kind: string, example: string): T {
  const c = loaded.plan.components.find((x) => x.kind === kind);
  if (!c)
    throw new ExitError(
      2,
      `${loaded.plan.file} has no ${kind}: this command reads the project's ${kind.replace("_", " ")} (add components: ${kind}: ${example})`,
    );
  return workflow.component<T>(c.path);
}

/** Loads the project and builds its workflow (nothing runs); logs go to stderr, warnings only. */
export async function openStores(opts: StoreCommandOptions): Promise<ProjectStores> {
  const { createLogger } = await import("@lolpop/core");
  const { openProject } = await import("./project.js");
  const loaded = await openProject(opts.config, { overrides: opts.set ?? [] });
  const workflow = await loaded.createWorkflow({
    logger: createLogger({ level: process.env.LOLPOP_LOG_LEVEL ? undefined : "warn" }),
  });
  return {
    loaded,
    workflow,
    tracker: () => componentOf(loaded, workflow, "metadata_tracker", "LocalMetadataTracker"),
    repository: () => componentOf(loaded, workflow, "model_repository", "LocalModelRepository"),
  };
}

/** A model reference of the command line: `name`, `name@alias` or `name/version`. */
export interface ModelRef {
  name: string;
  alias?: string;
  version?: number;
}

/**
 * Parses `name@alias`, `name/version` or `name` (`defaultAlias` then applies, e.g. `champion`).
 * @throws ExitError (2) saying the accepted forms.
 */
export function parseModelRef(text: string, defaultAlias?: string): ModelRef {
  const m = /^([^@/\s]+)(?:@([A-Za-z0-9_.-]+)|\/(\d+))?$/.exec(text);
  if (!m || (m[3] !== undefined && Number(m[3]) < 1))
    throw new ExitError(
      2,
      `"${text}" is not a model reference: write name@alias (penguins@champion) or name/version (penguins/3)`,
    );
  return {
    name: m[1]!,
    ...(m[2]
      ? { alias: m[2] }
      : m[3]
        ? { version: Number(m[3]) }
        : defaultAlias
          ? { alias: defaultAlias }
          : {}),
  };
}

/**
 * The version a reference names.
 * @throws ExitError (1) when there is no such version or alias.
 */
export async function resolveModelRef(repo: ModelRepository, ref: ModelRef) {
  const mv =
    ref.version !== undefined
      ? await repo.get_model_version(ref.name, ref.version)
      : await repo.get_alias(ref.name, ref.alias ?? "champion");
  if (!mv)
    throw new ExitError(
      1,
      ref.version !== undefined
        ? `model "${ref.name}" has no version ${ref.version}`
        : `model "${ref.name}" has no version with alias "${ref.alias ?? "champion"}" (train and deploy first: lolpop run)`,
    );
  return mv;
}
