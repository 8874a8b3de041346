/**
 * `loadPredictor`: a model version of the project's store, ready to score rows in this process. It
 * replays the version's inference bundle through core's one replay path (`loadInferenceBundle`),
 * so a served prediction is the prediction `lolpop run --step predict` writes for the same row.
 * With `watch`, an alias is polled and a moved alias is loaded completely before it replaces the
 * served version in one assignment: a request uses one version from start to end.
 */
import { dirname, resolve } from "node:path";
import {
  type BundleHost,
  formatModelRef,
  type InferenceBundle,
  type LoadedProject,
  type Logger,
  loadInferenceBundle,
  loadProject,
  type ModelRef,
  type ModelRepository,
  type ModelVersionInfo,
  type ProjectInfo,
  type ProjectPlugins,
  silentLogger,
  standaloneHost,
  Table,
} from "@lolpop/core";
import { ServeError } from "./serve-error.js";
import { parseServedRef, resolveServedRef } from "./serve-ref.js";

/** Default poll interval of an alias with `watch: true` (ms). */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

/** A cell of an input row: what JSON can carry for one value. */
export type InputValue = string | number | boolean | null;

/** Options of {@link loadPredictor}. */
export interface LoadPredictorOptions {
  /**
   * The project whose `model_repository` holds the model: the path of its `lolpop.yaml`, or a
   * project from core's `loadProject`. Its plugins must be importable: import them first, or pass
   * `discover` (the CLI does). One of `project` and `store` is required.
   */
  project?: string | LoadedProject;
  /** A model repository to read instead of a project's (e.g. a `LocalModelRepository` you made). */
  store?: ModelRepository;
  /** Project folders (module paths of a saved data transformer resolve from `root`). Default: the config's folder. */
  projectInfo?: Partial<ProjectInfo>;
  /** Finds the project's plugins (core `loadProject`'s `discover`). Default: only types already registered. */
  discover?: (
    source: Parameters<NonNullable<Parameters<typeof loadProject>[0]["discover"]>>[0],
  ) => ProjectPlugins | Promise<ProjectPlugins>;
  /** Imports the plugin of a type the bundle names that is not registered yet. Default: none. */
  loadType?: (type: string, kind: string) => Promise<void>;
  /** Reload when the alias moves (references `name@alias` only). Default false. */
  watch?: boolean;
  /** Poll interval of `watch` in ms. Default {@link DEFAULT_POLL_INTERVAL_MS} (env `LOLPOP_SERVE_POLL_MS` in `lolpop serve`). */
  pollIntervalMs?: number;
  /** Called after a moved alias was loaded and swapped in. */
  onSwitch?: (from: number, to: number) => void;
  /** Where notices go (bundle notices, a failed reload). Default silent. */
  logger?: Logger;
}

/** One loaded version: what a request uses from start to end. */
export interface ServedModel {
  readonly name: string;
  readonly version: number;
  readonly bundle: InferenceBundle;
  readonly info: ModelVersionInfo;
}

/** Options of {@link Predictor.predict}. */
export interface PredictOptions {
  /** What the input is, in error messages. Default `the input`. */
  what?: string;
}

/** What {@link Predictor.predict} returns. */
export interface PredictResult {
  name: string;
  /** The version that made every prediction of this call. */
  version: number;
  problemType: "classification" | "regression";
  /** One per input row: the class label (classification) or the value (regression); null when the model gave none. */
  predictions: Array<string | number | null>;
  /** The replay's output table: index (when given), `prediction`, `proba_<class>` columns. */
  output: Table;
}

/** What {@link Predictor.predictProba} returns. */
export interface ProbaResult {
  name: string;
  version: number;
  /** Class labels, in the order of each row of `proba`. */
  classes: string[];
  /** One row per input row: the probability of each class. */
  proba: number[][];
}

/** A model version (or the version an alias points at) ready to score rows. */
export interface Predictor {
  /** The reference it was loaded from. */
  readonly ref: ModelRef;
  /** The version served now (the alias may move it with `watch`). */
  current(): ServedModel;
  /** Scores rows (objects of column → value) or a table. */
  predict(
    input: ReadonlyArray<Record<string, unknown>> | Table,
    options?: PredictOptions,
  ): Promise<PredictResult>;
  /** Class probabilities (classifiers whose model gives them; otherwise a ServeError). */
  predictProba(
    input: ReadonlyArray<Record<string, unknown>> | Table,
    options?: PredictOptions,
  ): Promise<ProbaResult>;
  /** Checks the alias now and swaps in its version when it moved; true when it did. */
  reload(): Promise<boolean>;
  /** Stops watching. */
  close(): void;
}

/**
 * Turns rows (objects of column → value) into a table; a value that is not a number, text,
 * true/false or null is a ServeError naming the row (1-based) and the column.
 */
export function rowsToTable(rows: ReadonlyArray<Record<string, unknown>>, what = "the input"): Table {
  if (rows.length === 0)
    throw new ServeError({ message: `${what} has no rows: send at least one row`, code: "no_rows" });
  rows.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row))
      throw new ServeError({
        message: `${what}, row ${i + 1}: expected an object of column → value, got ${describe(row)}`,
        code: "bad_row",
        details: { row: i + 1 },
      });
    for (const [k, v] of Object.entries(row))
      if (v !== null && typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
        throw new ServeError({
          message: `${what}, row ${i + 1}, column "${k}": ${describe(v)} is not a value; send a number, text, true/false or null`,
          code: "bad_value",
          details: { row: i + 1, column: k },
        });
  });
  return Table.fromRows(rows as ReadonlyArray<Record<string, InputValue>>);
}

/** A short description of a JSON value's kind, for messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

/** The component factory a bundle is rebuilt with, outside a workflow. */
function bundleHost(
  project: Partial<ProjectInfo> | undefined,
  logger: Logger,
  loadType: LoadPredictorOptions["loadType"],
): BundleHost {
  return standaloneHost({
    logger,
    ...(project ? { project } : {}),
    ...(loadType ? { loadType } : {}),
    missingType: (kind, type) =>
      new ServeError({
        message: `the model version needs the ${kind} type "${type}", which no imported plugin provides: install and import its plugin (or load the predictor with the project's plugins)`,
        code: "missing_type",
        status: 500,
        details: { kind, type },
      }),
  });
}

/** The store of the options (a given repository, or the project's `model_repository`). */
async function openStore(
  options: LoadPredictorOptions,
  logger: Logger,
): Promise<{ store: ModelRepository; project?: Partial<ProjectInfo> }> {
  if (options.store)
    return { store: options.store, ...(options.projectInfo ? { project: options.projectInfo } : {}) };
  if (!options.project)
    throw new ServeError({
      message: "loadPredictor needs a project (the path of lolpop.yaml, or a loaded project) or a store",
      code: "no_store",
      status: 500,
    });
  let loaded: LoadedProject;
  let root: string;
  if (typeof options.project === "string") {
    const configPath = resolve(options.project);
    root = dirname(configPath);
    loaded = await loadProject({
      configPath,
      ...(options.projectInfo ? { project: options.projectInfo } : {}),
      ...(options.discover ? { discover: options.discover } : {}),
    });
  } else {
    loaded = options.project;
    root = dirname(loaded.plan.file);
  }
  const workflow = await loaded.createWorkflow({ logger });
  let store: ModelRepository;
  try {
    store = workflow.component<ModelRepository>("model_repository");
  } catch (e) {
    throw new ServeError({
      message: `${loaded.plan.file} has no model_repository component: add one under components: (e.g. model_repository: LocalModelRepository)`,
      code: "no_store",
      status: 500,
      cause: e,
    });
  }
  return { store, project: { root, ...options.projectInfo } };
}

/**
 * Loads `ref` (`name@alias`, `name/version`, or a bare name for its champion) from the project's
 * model repository (local store, MLflow...) and returns a predictor that replays its inference
 * bundle. With `watch: true` (aliases only) the alias is polled every `pollIntervalMs` and a moved
 * alias is swapped in atomically once its version is fully loaded; a failed reload keeps serving
 * the loaded version and is logged.
 * @throws ServeError when the reference is malformed, the alias points nowhere or the version does not exist.
 */
export async function loadPredictor(ref: string, options: LoadPredictorOptions): Promise<Predictor> {
  const parsed = parseServedRef(ref);
  const logger = options.logger ?? silentLogger;
  const { store, project } = await openStore(options, logger);
  const host = bundleHost(project, logger, options.loadType);

  const resolveInfo = (): Promise<ModelVersionInfo> => resolveServedRef(store, parsed);
  const load = async (info: ModelVersionInfo): Promise<ServedModel> => {
    const dir = await store.download_model(parsed.name, info.version);
    const bundle = await loadInferenceBundle(host, dir, { label: `${parsed.name} v${info.version}` });
    return { name: parsed.name, version: info.version, bundle, info };
  };

  let served = await load(await resolveInfo());
  let reloading: Promise<boolean> | undefined;
  const reload = (): Promise<boolean> => {
    reloading ??= (async () => {
      try {
        const info = await resolveInfo();
        if (info.version === served.version) return false;
        const next = await load(info);
        const from = served.version;
        served = next; // the swap: one assignment, after the new version is fully loaded
        options.onSwitch?.(from, next.version);
        logger.info(
          `${formatModelRef(parsed)} moved from v${from} to v${next.version}: now serving v${next.version}`,
        );
        return true;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.watch) {
    if (parsed.alias === undefined)
      throw new ServeError({
        message: `watch needs an alias to follow; ${formatModelRef(parsed)} names one version: serve ${parsed.name}@champion`,
        code: "watch_without_alias",
        status: 400,
      });
    const every = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    timer = setInterval(() => {
      reload().catch((e: unknown) =>
        logger.warn(
          `reloading ${formatModelRef(parsed)} failed, still serving v${served.version}: ${(e as Error).message}`,
        ),
      );
    }, every);
    timer.unref();
  }

  const replay = async (input: ReadonlyArray<Record<string, unknown>> | Table, o: PredictOptions = {}) => {
    const m = served;
    const what = o.what ?? "the input";
    const table = input instanceof Table ? input : rowsToTable(input, what);
    const r = await m.bundle.predict(table, { requireIndex: false, what });
    return { m, r };
  };

  return {
    ref: parsed,
    current: () => served,
    async predict(input, o) {
      const { m, r } = await replay(input, o);
      const predictions = r.output
        .values("prediction")
        .map((v) => (typeof v === "number" && Number.isNaN(v) ? null : v));
      return {
        name: m.name,
        version: m.version,
        problemType: r.predictions.problem_type,
        predictions,
        output: r.output,
      };
    },
    async predictProba(input, o) {
      const { m, r } = await replay(input, o);
      const p = r.predictions;
      if (p.problem_type !== "classification" || !p.proba)
        throw new ServeError({
          message: `${m.bundle.label} ${p.problem_type === "regression" ? "is a regressor" : "gives no class probabilities"}: use predict`,
          code: "no_proba",
        });
      const k = p.classes.length;
      const proba: number[][] = [];
      for (let i = 0; i < p.labels.length; i++) proba.push(Array.from(p.proba.subarray(i * k, (i + 1) * k)));
      return { name: m.name, version: m.version, classes: [...p.classes], proba };
    },
    reload,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
