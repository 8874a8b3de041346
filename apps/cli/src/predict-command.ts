/**
 * `lolpop predict --input FILE --output FILE [--model name@alias|name/version]`: scores a file with
 * the project's predict pipeline, the one code path of `lolpop run --step predict` (the version's
 * inference bundle replayed by core's `loadInferenceBundle`, the pipeline's data connector and data
 * checks, a tracked prediction job with history), with the input, output and version given on the
 * command line instead of edited into the config.
 */
import { resolve } from "node:path";
import { ExitError } from "./format.js";
import type { StoreCommandOptions } from "./store-commands.js";

/** Options of `lolpop predict`. */
export interface PredictFileOptions extends StoreCommandOptions {
  input: string;
  output: string;
  model?: string;
  pipeline?: string;
}

/** What `lolpop predict` did. */
export interface PredictFileResult {
  model: string;
  version: number;
  rows: number;
  input: string;
  output: string;
  job_id?: string;
  pipeline: string;
}

/** Scores `input` into `output`; see the module comment. */
export async function predictFile(opts: PredictFileOptions): Promise<PredictFileResult> {
  const { existsSync } = await import("node:fs");
  const { CHAMPION_ALIAS, parseModelRef, resolveModelRef } = await import("@lolpop/core");
  const { withProjectStore } = await import("./store-commands.js");
  const input = resolve(opts.input);
  if (!existsSync(input)) throw new ExitError(2, `--input ${opts.input}: no such file`);
  const output = resolve(opts.output);
  if (output === input) throw new ExitError(2, "--output must not be the --input file");
  // Which pipeline and version: read from the project as it is configured (with --set).
  const { pipe, mv } = await withProjectStore(opts, async (first) => {
    const plan = first.workflow.plan;
    const pipe = opts.pipeline
      ? plan.pipelines.find((p) => p.attr === opts.pipeline)
      : (plan.pipelines.find((p) => p.attr === "predict") ??
        plan.pipelines.find((p) => /predict/i.test(p.type)));
    if (!pipe || typeof pipe.config.model_name !== "string")
      throw new ExitError(
        2,
        opts.pipeline
          ? `${plan.file} has no predict pipeline "${opts.pipeline}" (pipelines: ${plan.pipelines.map((p) => p.attr).join(", ")})`
          : `${plan.file} has no predict pipeline: add one (pipelines: predict: OfflinePredict) so lolpop predict knows how to read the file`,
      );
    const name = pipe.config.model_name as string;
    const ref = opts.model
      ? parseModelRef(opts.model)
      : typeof pipe.config.model_version === "number"
        ? { name, version: pipe.config.model_version }
        : { name, alias: CHAMPION_ALIAS };
    return { pipe, mv: await resolveModelRef(first.repo, ref) };
  });
  // The same pipeline, pointed at this version and output: the config file is not touched.
  const set = [
    ...(opts.set ?? []),
    `${pipe.attr}.config.model_name=${JSON.stringify(mv.name)}`,
    `${pipe.attr}.config.model_version=${mv.version}`,
    `${pipe.attr}.config.output_path=${JSON.stringify(output)}`,
  ];
  const r = await withProjectStore({ ...opts, set }, async (store) => {
    const pipeline = store.workflow.pipeline(pipe.attr) as {
      predict_data?: (o: {
        source?: string;
      }) => Promise<{ version: number; rows: number; path: string; job_id?: string }>;
    };
    if (typeof pipeline.predict_data !== "function")
      throw new ExitError(
        2,
        `pipeline ${pipe.attr} (${pipe.type}) cannot score a file (it has no predict_data)`,
      );
    return pipeline.predict_data({ source: input });
  });
  return {
    model: mv.name,
    version: r.version,
    rows: r.rows,
    input,
    output: r.path,
    ...(r.job_id ? { job_id: r.job_id } : {}),
    pipeline: pipe.attr,
  };
}

/** The text `lolpop predict` prints. */
export function renderPredict(r: PredictFileResult): string {
  return `scored ${r.rows} rows of ${r.input} with ${r.model} v${r.version}: ${r.output}${r.job_id ? `\nprediction job ${r.job_id}` : ""}`;
}
