/**
 * Registers the commands that read or use the project's stores: `runs list|show|compare`,
 * `lineage` and `predict`. Each loads its modules when it runs.
 */
import type { Command } from "commander";
import { ExitError } from "./format.js";
import type { ProjectStore } from "./models-store.js";
import type { RunsListOptions } from "./runs-command.js";

/** Options every store command takes. */
export interface StoreCommandOptions {
  /** The config file (default: lolpop.yaml here or in the nearest folder above). */
  config?: string;
  /** `path=value` config overrides. */
  set?: string[];
}

/** Opens the project's store (with `--set`), runs `fn`, closes the store. */
export async function withProjectStore<T>(
  opts: StoreCommandOptions,
  fn: (store: ProjectStore) => Promise<T>,
): Promise<T> {
  const { openStore } = await import("./models-store.js");
  const store = await openStore(opts.config, { overrides: opts.set ?? [] });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The store's metadata tracker; a usage error (exit 2) saying how to add one when the config has none. */
export function trackerOf(store: ProjectStore) {
  if (!store.tracker)
    throw new ExitError(
      2,
      `${store.workflow.plan.file} configures no metadata_tracker: runs are recorded by one (e.g. components: {metadata_tracker: LocalMetadataTracker})`,
    );
  return store.tracker;
}

/** What the registrations need from the CLI. */
export interface StoreCommandHost {
  /** Prints a document on stdout (a newline is added). */
  write(text: string): void;
  /** Sets the exit code. */
  exit(code: number): void;
  /** Help of `--set` and the collector of its values. */
  setHelp: string;
  collectSet(value: string, previous: string[]): string[];
}

function withStoreOptions(cmd: Command, host: StoreCommandHost): Command {
  return cmd
    .option(
      "-c, --config <file>",
      "the workflow config (default: lolpop.yaml here or in the nearest folder above)",
    )
    .option("--set <path=value>", host.setHelp, host.collectSet, []);
}

/** Adds `runs`, `lineage` and `predict` to `program`; returns the `runs` group (plugins add subcommands to it). */
export function registerStoreCommands(program: Command, host: StoreCommandHost): Command {
  const runs = program
    .command("runs")
    .description("The runs the project's metadata tracker recorded: list, show, compare");
  withStoreOptions(
    runs
      .command("list")
      .description("Runs, newest first (id, status, stage, start, duration, model version)")
      .option(
        "--status <status>",
        "only runs in this status: RUNNING, FINISHED, FAILED, KILLED (comma separated)",
      )
      .option("--pipeline <stage>", "only runs of this stage: workflow, train, tuning, predict")
      .option(
        "--since <time>",
        "only runs started at or after this time: ISO 8601 (2026-12-01, 2026-12-01T08:00Z) or an age (30m, 24h, 7d)",
      )
      .option("--until <time>", "only runs started before this time (same forms as --since)")
      .option("--limit <n>", "at most this many runs", "20")
      .option("--json", "print {runs: [...]} as JSON"),
    host,
  ).action(async (opts: RunsListOptions) => {
    const { runsList, runsListFilter } = await import("./runs-command.js");
    await runsListFilter(opts); // a bad option is a usage error before the project is read
    host.write(await withProjectStore(opts, (s) => runsList(trackerOf(s), opts)));
  });
  withStoreOptions(
    runs
      .command("show")
      .description(
        "A run's status, tags, params, metrics (a workflow run with its train run's), datasets and artifacts",
      )
      .argument("<id>", "run id (lolpop runs list shows them)")
      .option("--json", "print the run as JSON"),
    host,
  ).action(async (id: string, opts: StoreCommandOptions & { json?: boolean }) => {
    const { runsShow } = await import("./runs-command.js");
    host.write(await withProjectStore(opts, (s) => runsShow(trackerOf(s), id, opts.json)));
  });
  withStoreOptions(
    runs
      .command("compare")
      .description(
        "Runs side by side: params, metrics per split, data fingerprints, config hash and code versions; differences highlighted",
      )
      .argument("<ids...>", "two or more run ids")
      .option("--json", "print {runs, rows: [{section, key, values, differs}], differs} as JSON"),
    host,
  ).action(async (ids: string[], opts: StoreCommandOptions & { json?: boolean }) => {
    const { runsCompare } = await import("./runs-command.js");
    if (ids.length < 2) throw new ExitError(2, "runs compare needs at least two run ids");
    host.write(await withProjectStore(opts, (s) => runsCompare(trackerOf(s), ids, opts.json)));
  });

  withStoreOptions(
    program
      .command("lineage")
      .description(
        "Where a model version comes from and what it did: data (fingerprints, files) -> runs -> config hash -> version -> prediction jobs",
      )
      .argument(
        "<model>",
        "name@alias (penguins@champion) or name/version (penguins/3); a bare name means name@champion",
      )
      .option("--json", "print the chain as JSON"),
    host,
  ).action(async (model: string, opts: StoreCommandOptions & { json?: boolean }) => {
    const { lineageOf, renderLineage } = await import("./lineage-command.js");
    const { parseModelRef, terminalJson } = await import("@lolpop/core");
    const ref = parseModelRef(model);
    const chain = await withProjectStore(opts, (s) => lineageOf(s, ref));
    host.write(opts.json ? terminalJson(chain) : await renderLineage(chain));
  });

  withStoreOptions(
    program
      .command("predict")
      .description(
        "Score a file with a model version's inference bundle (the predict pipeline's data connector and replay), without editing the config; kept as a prediction job",
      )
      .requiredOption(
        "-i, --input <file>",
        "the file to score (read by the predict pipeline's data connector)",
      )
      .requiredOption("-o, --output <file>", "where the predictions are written")
      .option(
        "-m, --model <model>",
        "name@alias or name/version (default: the predict pipeline's model, champion)",
      )
      .option("--pipeline <name>", "the predict pipeline to use (default: the config's predict pipeline)")
      .option("--json", "print {ok, model, version, job_id, output, rows} as JSON"),
    host,
  ).action(
    async (
      opts: StoreCommandOptions & {
        input: string;
        output: string;
        model?: string;
        pipeline?: string;
        json?: boolean;
      },
    ) => {
      const { predictFile, renderPredict } = await import("./predict-command.js");
      const { terminalJson } = await import("@lolpop/core");
      const result = await predictFile(opts);
      host.write(opts.json ? terminalJson({ ok: true, ...result }) : renderPredict(result));
    },
  );
  return runs;
}
