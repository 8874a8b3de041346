/**
 * Approve, promote and roll back a model version on a project's store: the one code path of
 * `lolpop models approve|promote|rollback` and of other front ends (the `lolpop ui` actions).
 * Each returns the document the command prints with `--json`; refusals throw an `ExitError`
 * (code 1) whose message says what to do.
 */
import type { ModelRepository } from "@lolpop/core";
import { ExitError } from "./format.js";
import { type ProjectStore, requireMethod } from "./models-store.js";

/** What the deploy pipeline decided (`DeployResult` of @lolpop/workflows). */
export interface DeployOutcome {
  version: number;
  promoted: boolean;
  reasons: string[];
  champion_version?: number;
  decided_against: number | null;
  conflict?: { expected: number | null; actual: number | null };
}

type DeployPipe = {
  deploy_version(name: string, version: number, options?: { notes?: string[] }): Promise<DeployOutcome>;
};

/** The version the `champion` alias points at, or null. */
export async function championOf(repo: ModelRepository, name: string): Promise<number | null> {
  const { CHAMPION_ALIAS } = await import("@lolpop/core");
  return (await repo.get_alias(name, CHAMPION_ALIAS))?.version ?? null;
}

/** `{name, version, promoted, champion, previous}` of {@link promoteVersion}. */
export interface PromoteOutcome {
  name: string;
  version: number;
  promoted: boolean;
  champion: number | null;
  previous: number | null;
  /** True when the version is the champion after the call (promoted now or already). */
  ok: boolean;
  message: string;
}

/**
 * Makes `version` the champion without the promotion policy (compare-and-set against the
 * champion read first). `by` defaults to the OS user.
 */
export async function promoteVersion(
  store: ProjectStore,
  name: string,
  version: number,
  options: { by?: string; reason?: string } = {},
): Promise<PromoteOutcome> {
  const { osUserName } = await import("@lolpop/core");
  await store.repo.get_model_version(name, version);
  const before = await championOf(store.repo, name);
  const by = options.by || osUserName();
  const res = await store.repo.promote_model(name, version, {
    expected_champion: before,
    promoted_by: by,
    reason: options.reason ?? `promoted by hand (lolpop models promote) by ${by}`,
  });
  const ok = res.promoted || res.champion === version;
  const message = res.promoted
    ? `${name} v${version} is the champion (was ${res.previous === null ? "none" : `v${res.previous}`})`
    : res.champion === version
      ? `${name} v${version} is already the champion`
      : `not promoted: the champion changed to ${res.champion === null ? "none" : `v${res.champion}`} meanwhile; run the command again`;
  return { name, version, ...res, ok, message };
}

/** `{name, version, approved_by, deploy, message}` of {@link approveVersion}. */
export interface ApproveOutcome {
  name: string;
  version: number;
  approved_by: string;
  deploy: DeployOutcome | null;
  message: string;
}

/**
 * Records approval of a version, then (unless `deploy: false`) applies the deploy pipeline's
 * promotion policy to it. `wrapDeploy` runs around the policy (the CLI sends a notifier's stdout
 * to stderr with --json).
 */
export async function approveVersion(
  store: ProjectStore,
  name: string,
  version: number,
  options: {
    by?: string;
    comment?: string;
    deploy?: boolean;
    wrapDeploy?: <T>(fn: () => Promise<T>) => Promise<T>;
  } = {},
): Promise<ApproveOutcome> {
  const { osUserName } = await import("@lolpop/core");
  const by = options.by || osUserName();
  await store.repo.approve_model(name, version, {
    approved_by: by,
    ...(options.comment !== undefined ? { comment: options.comment } : {}),
  });
  let deploy: DeployOutcome | null = null;
  let message = `${name} v${version} approved by ${by}`;
  if (options.deploy !== false) {
    const pipe = deployPipeline(store);
    if (!pipe)
      message +=
        "; the config has no deploy pipeline with a promotion policy: promote it with `lolpop models promote`";
    else {
      const run = () => decide(pipe, name, version, by, options.comment);
      deploy = await (options.wrapDeploy ? options.wrapDeploy(run) : run());
      message += deploy.promoted
        ? `; promoted to champion by the deploy policy (${deploy.reasons.join("; ")})`
        : `; not promoted: ${deploy.reasons.join("; ")}`;
    }
  }
  return { name, version, approved_by: by, deploy, message };
}

/** `{name, from, to, promoted, champion}` of {@link rollbackModel}. */
export interface RollbackOutcome {
  name: string;
  from: number;
  to: number;
  promoted: boolean;
  champion: number | null;
  message: string;
}

/** Makes the previous champion (from the promotion history) the champion again. */
export async function rollbackModel(
  store: ProjectStore,
  name: string,
  options: { by?: string; reason?: string; command?: string } = {},
): Promise<RollbackOutcome> {
  const { CHAMPION_ALIAS, osUserName } = await import("@lolpop/core");
  const getHistory = requireMethod(
    store.repo,
    "get_promotion_history",
    store.repoLabel,
    "model_repository",
    options.command ?? "lolpop models rollback",
  );
  const current = await championOf(store.repo, name);
  if (current === null) throw new ExitError(1, `model "${name}" has no champion to roll back`);
  const last = (await getHistory(name))
    .filter((e) => e.alias === CHAMPION_ALIAS && e.version === current)
    .at(-1);
  const to = last?.previous ?? null;
  if (to === null)
    throw new ExitError(1, `model "${name}" has no previous champion before v${current} in its history`);
  const by = options.by || osUserName();
  const res = await store.repo.promote_model(name, to, {
    expected_champion: current,
    promoted_by: by,
    reason: `rollback from v${current} to v${to}${options.reason ? `: ${options.reason}` : ""}`,
  });
  const message = res.promoted
    ? `${name}: champion rolled back from v${current} to v${to}`
    : `not rolled back: the champion changed to ${res.champion === null ? "none" : `v${res.champion}`} meanwhile; run the command again`;
  return { name, from: current, to, promoted: res.promoted, champion: res.champion, message };
}

/** The configured deploy pipeline, when it can decide on a registered version. */
function deployPipeline(store: ProjectStore): DeployPipe | undefined {
  for (const p of store.workflow.plan.pipelines) {
    const pipe = store.workflow.pipeline(p.attr) as unknown as Partial<DeployPipe>;
    if (typeof pipe.deploy_version === "function") return pipe as DeployPipe;
  }
  return undefined;
}

/** Applies the policy; when the champion moved during the decision, decides again (at most 5 times). */
async function decide(
  pipe: DeployPipe,
  name: string,
  version: number,
  by: string,
  comment: string | undefined,
): Promise<DeployOutcome> {
  const notes = [`approved by ${by}${comment ? ` (${comment})` : ""}`];
  let d = await pipe.deploy_version(name, version, { notes });
  for (let i = 0; d.conflict && i < 5; i++) d = await pipe.deploy_version(name, version, { notes });
  return d;
}
