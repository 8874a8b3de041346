import { DataError } from "../errors.js";
import type { Table } from "../table.js";

const quote = (names: readonly string[]) => names.map((n) => JSON.stringify(n)).join(", ");

/**
 * Checks that `X` has exactly the feature columns a model was trained on (`featureNames`): a
 * `DataError` (`feature_mismatch`) naming the missing and unexpected columns otherwise. `trainer`
 * is the trainer type, for the message.
 */
export function checkPredictFeatures(X: Table, featureNames: readonly string[], trainer: string): void {
  const expected = new Set(featureNames);
  const missing = featureNames.filter((n) => !X.has(n));
  const extra = X.columnsWithRole("feature").filter((n) => !expected.has(n));
  if (!missing.length && !extra.length) return;
  const parts: string[] = [];
  if (missing.length) parts.push(`missing feature column(s) ${quote(missing)}`);
  if (extra.length) parts.push(`unexpected feature column(s) ${quote(extra)}`);
  throw new DataError({
    message: `${trainer} cannot predict: ${parts.join("; ")}. The model was trained on ${quote(featureNames)}; apply the same feature_transformer as in training.`,
    code: "feature_mismatch",
    details: { missing, extra, expected: featureNames },
  });
}
