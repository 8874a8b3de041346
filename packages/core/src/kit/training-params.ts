/**
 * The one merge of a trainer's parameters: its defaults, then the `training_params` of its config,
 * then the `params` a hyperparameter tuner passes to `fit` (key by key, the later source winning),
 * with every problem reported at once, each at its YAML path. And the one choice of a fit's seed.
 */
import { ConfigError, type ConfigIssue, DataError } from "../errors.js";

/** How {@link mergeTrainingParams} checks a trainer's parameters. */
export interface TrainingParamsSpec<P extends object> {
  /** The trainer's type name, for messages (e.g. `RandomForestModelTrainer`). */
  trainer: string;
  /** Every parameter with its default; its keys are the known parameters. Copied deeply before the merge. */
  defaults: Readonly<P>;
  /**
   * Checks the value of a known parameter: returns a message when it is invalid (reported at `at`),
   * or pushes issues with deeper paths to `issues`. A value with a problem is not merged.
   */
  check(key: keyof P & string, value: unknown, at: string, issues: ConfigIssue[]): string | undefined;
  /**
   * Keys a tuner's `params` may hold besides the parameters, with their checks (a message when
   * invalid). `seed` is always one (an integer); these add others, e.g. `engine`.
   */
  tunerKeys?: Record<string, (value: unknown) => string | undefined>;
  /**
   * Unknown keys of a tuner's `params` go to `passThrough` (for a library's own parameters)
   * instead of being errors. Default false.
   */
  passThrough?: boolean;
  /** Added to the "unknown parameter" message, e.g. where other parameters go. */
  unknownHint?: string;
}

/** What {@link mergeTrainingParams} returns. */
export interface MergedTrainingParams<P> {
  /** Defaults, then `training_params`, then the tuner's values of the same keys. */
  params: P;
  /** The tuner's `params.seed`, when it gave one. */
  seed?: number;
  /** The tuner's values of {@link TrainingParamsSpec.tunerKeys}. */
  tuner: Record<string, unknown>;
  /** The tuner's unknown keys, with {@link TrainingParamsSpec.passThrough}. */
  passThrough: Record<string, unknown>;
}

/**
 * Merges and checks training parameters: `spec.defaults`, then `trainingParams` (the config's
 * `training_params`, at `<path>.config.training_params.<key>`), then `tunerParams` (a tuner's
 * `FitInput.params`, at `<path>.params.<key>`). `undefined` values are skipped.
 * @param path The component's YAML path (`ctx.path`), for issue paths.
 * @throws ConfigError with every problem: unknown keys (listing the known ones), invalid values.
 */
export function mergeTrainingParams<P extends object>(
  spec: TrainingParamsSpec<P>,
  trainingParams: Record<string, unknown> | undefined,
  tunerParams: Record<string, unknown> | undefined,
  path: string,
): MergedTrainingParams<P> {
  const issues: ConfigIssue[] = [];
  const merged: Record<string, unknown> = structuredClone({ ...spec.defaults });
  const known = Object.keys(spec.defaults);
  const tunerKeys: Record<string, (value: unknown) => string | undefined> = {
    seed: (v) =>
      typeof v === "number" && Number.isSafeInteger(v)
        ? undefined
        : `seed must be an integer, got ${JSON.stringify(v)}`,
    ...spec.tunerKeys,
  };
  const out: MergedTrainingParams<P> = { params: merged as P, tuner: {}, passThrough: {} };
  const sources: Array<[string, Record<string, unknown> | undefined, boolean]> = [
    [`${path}.config.training_params`, trainingParams, false],
    [`${path}.params`, tunerParams, true],
  ];
  for (const [where, source, fromTuner] of sources) {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (value === undefined) continue;
      const at = `${where}.${key}`;
      if (fromTuner && key in tunerKeys) {
        const problem = tunerKeys[key]!(value);
        if (problem) issues.push({ code: "invalid_value", path: at, message: problem });
        else if (key === "seed") out.seed = value as number;
        else out.tuner[key] = value;
        continue;
      }
      if (!known.includes(key)) {
        if (fromTuner && spec.passThrough) {
          out.passThrough[key] = value;
          continue;
        }
        const names = fromTuner ? [...known, ...Object.keys(tunerKeys)] : known;
        issues.push({
          code: "unknown_key",
          path: at,
          message: `unknown parameter "${key}" for ${spec.trainer} (known: ${names.join(", ")})${spec.unknownHint ? `; ${spec.unknownHint}` : ""}`,
        });
        continue;
      }
      const before = issues.length;
      const problem = spec.check(key as keyof P & string, value, at, issues);
      if (problem) issues.push({ code: "invalid_value", path: at, message: problem });
      else if (issues.length === before) merged[key] = structuredClone(value);
    }
  }
  if (issues.length) throw new ConfigError({ issues });
  return out;
}

/**
 * The seed of a fit: the first of `candidates` that is set, in order of precedence (usually the
 * tuner's `params.seed`, the workflow's `FitInput.seed`, the config's `seed`, the trainer's default).
 * @throws DataError `invalid_params` when it is not an integer.
 */
export function pickSeed(...candidates: Array<number | undefined>): number {
  const seed = candidates.find((s) => s !== undefined);
  if (seed === undefined || !Number.isSafeInteger(seed))
    throw new DataError({ message: `seed must be an integer, got ${String(seed)}`, code: "invalid_params" });
  return seed;
}
