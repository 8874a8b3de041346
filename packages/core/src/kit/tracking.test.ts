import { CHAMPION_ALIAS, MODEL_TAGS, RUN_TAGS, stringifyParam } from "../index.js";

test("the alias and tag names both model repositories write", () => {
  expect(CHAMPION_ALIAS).toBe("champion");
  expect(MODEL_TAGS).toEqual({
    approved: "lolpop.approved",
    approvedBy: "lolpop.approved_by",
    approvalComment: "lolpop.approval_comment",
    approvedAt: "lolpop.approved_at",
    previousChampion: "lolpop.previous_champion",
    promotedAt: "lolpop.promoted_at",
    demotedAt: "lolpop.demoted_at",
    promotedBy: "lolpop.promoted_by",
    promotionReason: "lolpop.promotion_reason",
    identity: "lolpop.identity",
    dataFingerprint: "lolpop.data_fingerprint",
    configHash: "lolpop.config_hash",
    archived: "lolpop.archived",
    archivedBy: "lolpop.archived_by",
    archivedAt: "lolpop.archived_at",
    archiveReason: "lolpop.archive_reason",
    perfMetric: "lolpop.perf_metric",
    comparisonSplit: "lolpop.comparison_split",
    comparedWith: "lolpop.compared_with",
  });
  expect(RUN_TAGS).toEqual({
    stage: "lolpop.stage",
    pid: "lolpop.pid",
    host: "lolpop.host",
    stale: "lolpop.stale",
    configHash: "lolpop.config_hash",
    gitCommit: "lolpop.git_commit",
    coreVersion: "lolpop.core_version",
    plugins: "lolpop.plugins",
  });
});

test("stringifyParam: strings as they are, scalars by String, the rest as JSON", () => {
  expect(stringifyParam("0.1")).toBe("0.1");
  expect(stringifyParam(0.1)).toBe("0.1");
  expect(stringifyParam(Number.NaN)).toBe("NaN");
  expect(stringifyParam(true)).toBe("true");
  expect(stringifyParam(10n)).toBe("10");
  expect(stringifyParam(null)).toBe("null");
  expect(stringifyParam(undefined)).toBe("undefined");
  expect(stringifyParam({ layers: [64, 32] })).toBe('{"layers":[64,32]}');
  const fn = () => 1;
  expect(stringifyParam(fn)).toBe(String(fn));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(stringifyParam(cyclic)).toBe("[object Object]");
});
