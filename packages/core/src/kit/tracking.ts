/**
 * The vocabulary that metadata trackers, model repositories and the standard workflows share, so a
 * model promoted through one repository reads the same through another (LocalModelRepository and
 * MLflowModelRepository write the same alias and tags).
 */

/** The alias `ModelRepository.promote_model` moves; the standard workflows predict with it. */
export const CHAMPION_ALIAS = "champion";

/** Tag names a model repository writes on model versions. */
export const MODEL_TAGS = {
  /** `"true"` once the version is approved. */
  approved: "lolpop.approved",
  /** Who approved it. */
  approvedBy: "lolpop.approved_by",
  /** The approval comment, when one was given. */
  approvalComment: "lolpop.approval_comment",
  /** ISO time of the approval. */
  approvedAt: "lolpop.approved_at",
  /** `"true"` on a version that was champion before the current one. */
  previousChampion: "lolpop.previous_champion",
  /** ISO time the version became champion. */
  promotedAt: "lolpop.promoted_at",
  /** ISO time the version stopped being champion. */
  demotedAt: "lolpop.demoted_at",
  /** Who promoted the version (`PromoteOptions.promoted_by`). */
  promotedBy: "lolpop.promoted_by",
  /** Why it was promoted (`PromoteOptions.reason`). */
  promotionReason: "lolpop.promotion_reason",
  /** The challenger's identity key (`ChallengerIdentity.key`): equal keys, identical challengers. */
  identity: "lolpop.identity",
  /** Fingerprint of the processed training data. */
  dataFingerprint: "lolpop.data_fingerprint",
  /** Hash of the redacted resolved config of the training run. */
  configHash: "lolpop.config_hash",
  /** `"true"` on an archived version (kept, but a candidate for `lolpop gc`). */
  archived: "lolpop.archived",
  /** Who archived it. */
  archivedBy: "lolpop.archived_by",
  /** ISO time of the archiving. */
  archivedAt: "lolpop.archived_at",
  /** Why it was archived, when given. */
  archiveReason: "lolpop.archive_reason",
  /** The perf_metric the version was compared on at training (for a later decision without retraining). */
  perfMetric: "lolpop.perf_metric",
  /** The split it was compared on (`test` or `valid`). */
  comparisonSplit: "lolpop.comparison_split",
  /** The champion version it was compared with at training (`none`: there was none). */
  comparedWith: "lolpop.compared_with",
} as const;

/** Tag names the standard workflows write on tracked runs. */
export const RUN_TAGS = {
  /** What the run is: `workflow`, `train`, `tuning_trial`, `prediction_job`... */
  stage: "lolpop.stage",
  /** Process id of the lolpop process that runs it (a workflow run). */
  pid: "lolpop.pid",
  /** Host name of that process. */
  host: "lolpop.host",
  /** Set when a later run found it RUNNING with its process gone and ended it KILLED: why. */
  stale: "lolpop.stale",
  /** Hash of the redacted resolved config (a workflow run; the lineage's `config_hash`). */
  configHash: "lolpop.config_hash",
  /** Git commit of the project (`+dirty` with uncommitted changes), when it is a checkout (a workflow run). */
  gitCommit: "lolpop.git_commit",
  /** Version of @lolpop/core (a workflow run). */
  coreVersion: "lolpop.core_version",
  /** The plugins in use as `name@version`, comma separated (a workflow run). */
  plugins: "lolpop.plugins",
} as const;

/**
 * A param or tag value as the text a tracker stores: strings as they are, numbers, booleans,
 * bigints and null by `String`, `undefined` as `"undefined"`, anything else as JSON (or `String`
 * when it cannot be serialized). It does not redact: trackers pass the result through `redactText`.
 */
export function stringifyParam(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value === null)
    return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
