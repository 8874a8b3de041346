/**
 * `class_weight`, the training parameter that weighs classes in a classifier's loss: its validation
 * (for a trainer's params check), its rejection for regression, and the weight of each class.
 * scikit-learn's meaning: `balanced` gives each class `rows / (classes present x rows of the class)`.
 */
import type { ProblemType } from "../contracts.js";
import { ConfigError, type ConfigIssue } from "../errors.js";

/** A class_weight setting: none, `balanced`, or a weight per class label (unlisted classes weigh 1). */
export type ClassWeight = null | "balanced" | Record<string, number>;

/** What a trainer accepts for `class_weight`, besides `null`, `"balanced"` and a mapping. */
export interface ClassWeightRules {
  /** Further named settings the trainer handles itself, e.g. `["balanced_subsample"]`. Default none. */
  modes?: readonly string[];
  /** Whether a class may weigh 0. Default false (weights must be > 0). */
  allowZero?: boolean;
}

const quote = (names: readonly string[]) => names.map((n) => JSON.stringify(n)).join(", ");

/**
 * Checks a `class_weight` value: `null`, `"balanced"`, one of `rules.modes`, or a mapping from class
 * label to a finite weight (`> 0`, or `>= 0` with `rules.allowZero`). Problems are pushed to
 * `issues` (at `at`, or at `at.<label>` for one weight).
 * @returns true when the value is valid.
 */
export function checkClassWeight(
  value: unknown,
  at: string,
  issues: ConfigIssue[],
  rules: ClassWeightRules = {},
): boolean {
  const modes = ["balanced", ...(rules.modes ?? [])];
  if (value === null || (typeof value === "string" && modes.includes(value))) return true;
  const bound = rules.allowZero ? ">= 0" : "> 0";
  if (typeof value !== "object" || Array.isArray(value)) {
    issues.push({
      code: "invalid_value",
      path: at,
      message: `class_weight must be null, ${quote(modes)} or a mapping from class label to a weight ${bound}, got ${JSON.stringify(value)}`,
    });
    return false;
  }
  let ok = true;
  for (const [label, w] of Object.entries(value as Record<string, unknown>)) {
    if (typeof w === "number" && Number.isFinite(w) && (w > 0 || (rules.allowZero && w === 0))) continue;
    ok = false;
    issues.push({
      code: "invalid_value",
      path: `${at}.${label}`,
      message: `the weight of class ${JSON.stringify(label)} must be a number ${bound}, got ${JSON.stringify(w)}`,
    });
  }
  return ok;
}

/** The issue of a `class_weight` set for a regression (at `at`), or undefined. */
export function classWeightForRegression(
  value: unknown,
  problem: ProblemType | undefined,
  at: string,
): ConfigIssue | undefined {
  if (problem !== "regression" || value === null || value === undefined) return undefined;
  return {
    code: "invalid_value",
    path: at,
    message: "class_weight only applies to classification; remove it for regression",
  };
}

/**
 * The weight of each class, in `classes` order, or undefined for `null` (every row weighs 1).
 * `balanced`: `rows / (classes present x rows of the class)` (a class absent from `codes` weighs 1);
 * a mapping: the listed weights, 1 for the other classes.
 * @param codes Each training row's index into `classes`.
 * @param at YAML path of the setting, for the error.
 * @throws ConfigError when the mapping names labels that are not among `classes`.
 */
export function classWeights(
  value: ClassWeight,
  classes: readonly string[],
  codes: Int32Array,
  at: string,
): Float64Array | undefined {
  if (value === null) return undefined;
  const k = classes.length;
  const weights = new Float64Array(k).fill(1);
  if (value === "balanced") {
    const counts = new Float64Array(k);
    for (let i = 0; i < codes.length; i++) counts[codes[i]!]!++;
    let present = 0;
    for (let c = 0; c < k; c++) if (counts[c]! > 0) present++;
    for (let c = 0; c < k; c++) if (counts[c]! > 0) weights[c] = codes.length / (present * counts[c]!);
    return weights;
  }
  const unknown = Object.keys(value).filter((label) => !classes.includes(label));
  if (unknown.length)
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: at,
          message: `class_weight names label(s) ${quote(unknown)} that are not among the classes ${quote(classes)}`,
        },
      ],
    });
  classes.forEach((label, c) => {
    const w = value[label];
    if (typeof w === "number") weights[c] = w;
  });
  return weights;
}
