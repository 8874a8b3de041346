/**
 * `lolpop gc [--keep N] [--dry-run]`: deletes model versions and tracked runs that nothing keeps.
 *
 * Kept, per model: every version an alias points at, the previous champion (the target of
 * `models rollback`), and the N newest versions that are not archived. Everything else is deleted
 * (archived versions go first: they are not counted in N).
 * Kept runs: every run still RUNNING, the N newest top-level runs (workflow runs, prediction jobs...),
 * and every top-level run whose tree (the run and its descendants) holds the run of a kept version.
 * Deleting a top-level run deletes its descendants.
 *
 * One plan serves `--dry-run` and the deletion, so the dry run lists exactly what `gc` deletes.
 * Then unreferenced blobs go (the tracker's optional `collect_blobs`; the local store's): step cache
 * entries of deleted runs, and blobs no alias, kept version's run, kept run (its cache entries and
 * data snapshots) or running run needs.
 * JSON (`--json`): `{dry_run, keep, versions: [{name, version, reason}], runs: [{id, name, started_at}],
 * blobs: {entries: [{key, run_id}], blobs: [digest], bytes}, deleted: {versions, runs}}` (`deleted`
 * counts are 0 in a dry run; `blobs` lists what goes, or would go).
 */

import type { RunInfo } from "@lolpop/core";
import type { Command } from "commander";
import { ExitError, renderTable, terminalWidth } from "./format.js";
import type { SetExitCode } from "./models-command.js";
import { openStore, type ProjectStore, requireMethod } from "./models-store.js";

/** What gc deletes. */
export interface GcPlan {
  keep: number;
  versions: Array<{ name: string; version: number; reason: string }>;
  runs: Array<{ id: string; name: string; started_at: string }>;
}

/** Default of `--keep`. */
export const DEFAULT_KEEP = 5;

/** Decides what gc deletes; reads only. */
export async function planGc(store: ProjectStore, keep: number): Promise<GcPlan> {
  const { CHAMPION_ALIAS, MODEL_TAGS } = await import("@lolpop/core");
  const listModels = requireMethod(
    store.repo,
    "list_models",
    store.repoLabel,
    "model_repository",
    "lolpop gc",
  );
  const getHistory = requireMethod(
    store.repo,
    "get_promotion_history",
    store.repoLabel,
    "model_repository",
    "lolpop gc",
  );
  requireMethod(store.repo, "delete_model_version", store.repoLabel, "model_repository", "lolpop gc");

  const versions: GcPlan["versions"] = [];
  const keptRuns = new Set<string>();
  for (const name of await listModels()) {
    const all = await store.repo.list_versions(name);
    const kept = new Set<number>();
    for (const v of all) if (v.aliases.length) kept.add(v.version);
    const champion = all.find((v) => v.aliases.includes(CHAMPION_ALIAS))?.version;
    if (champion !== undefined) {
      const last = (await getHistory(name))
        .filter((e) => e.alias === CHAMPION_ALIAS && e.version === champion)
        .at(-1);
      if (last?.previous !== null && last?.previous !== undefined) kept.add(last.previous);
    }
    const live = all
      .filter((v) => v.tags[MODEL_TAGS.archived] !== "true")
      .sort((a, b) => b.version - a.version);
    for (const v of live.slice(0, keep)) kept.add(v.version);
    for (const v of all) {
      if (kept.has(v.version)) {
        if (v.run_id) keptRuns.add(v.run_id);
        continue;
      }
      versions.push({
        name,
        version: v.version,
        reason: v.tags[MODEL_TAGS.archived] === "true" ? "archived" : `older than the ${keep} newest`,
      });
    }
  }

  const runs: GcPlan["runs"] = [];
  const tracker = store.tracker;
  if (tracker && typeof tracker.delete_run === "function") {
    const all = await tracker.search_runs({});
    const byId = new Map(all.map((r) => [r.id, r]));
    const rootOf = (r: RunInfo): RunInfo => {
      let cur = r;
      for (let i = 0; i < 1000 && cur.parent_id && byId.has(cur.parent_id); i++)
        cur = byId.get(cur.parent_id)!;
      return cur;
    };
    const keepRoots = new Set<string>();
    for (const r of all) {
      if (keptRuns.has(r.id) || r.status === "RUNNING") keepRoots.add(rootOf(r).id);
    }
    const roots = all
      .filter((r) => rootOf(r).id === r.id)
      .sort((a, b) =>
        a.started_at === b.started_at ? (a.id < b.id ? 1 : -1) : a.started_at < b.started_at ? 1 : -1,
      );
    for (const r of roots.slice(0, keep)) keepRoots.add(r.id);
    for (const r of roots)
      if (!keepRoots.has(r.id)) runs.push({ id: r.id, name: r.name, started_at: r.started_at });
  }
  return { keep, versions, runs };
}

/** What `lolpop gc` reports about blobs (`--json`: `blobs`). */
export interface GcBlobs {
  /** Step cache entries removed (of deleted runs, and of runs that no longer exist). */
  entries: Array<{ key: string; run_id: string }>;
  /** Unreferenced blobs removed, by digest. */
  blobs: string[];
  bytes: number;
}

/**
 * Collects the store's unreferenced blobs through the tracker's optional `collect_blobs`; undefined
 * when the tracker has none. A failure is added to `failures` (the versions and runs stay deleted).
 */
async function collectBlobs(
  store: ProjectStore,
  deletedRuns: string[],
  dryRun: boolean,
  failures: string[],
): Promise<GcBlobs | undefined> {
  const tracker = store.tracker;
  if (!tracker || typeof tracker.collect_blobs !== "function") return undefined;
  try {
    const r = await tracker.collect_blobs({ deleted_runs: deletedRuns, dry_run: dryRun });
    return { entries: r.entries, blobs: r.blobs, bytes: r.bytes };
  } catch (e) {
    failures.push(`blobs: ${(e as Error).message}`);
    return { entries: [], blobs: [], bytes: 0 };
  }
}

/** `1.5 MB`-style size. */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Adds `lolpop gc`. */
export function addGcCommand(program: Command, setExitCode: SetExitCode): Command {
  return program
    .command("gc")
    .description(
      "Delete model versions and runs nothing keeps (never an alias target, the previous champion, or the N newest)",
    )
    .option("-c, --config <file>", "path of the workflow config", "lolpop.yaml")
    .option(
      "--keep <n>",
      `versions per model and top-level runs to keep besides alias targets`,
      String(DEFAULT_KEEP),
    )
    .option("--dry-run", "only list what would be deleted")
    .option("--json", "print as JSON ({dry_run, keep, versions, runs, deleted})")
    .action(async (opts: { config?: string; keep: string; dryRun?: boolean; json?: boolean }) => {
      if (!/^[0-9]+$/.test(opts.keep))
        throw new ExitError(2, `--keep must be an integer from 0 (got "${opts.keep}")`);
      const keep = Number(opts.keep);
      const store = await openStore(opts.config);
      try {
        const plan = await planGc(store, keep);
        const deleted = { versions: 0, runs: 0 };
        const failures: string[] = [];
        if (!opts.dryRun) {
          for (const v of plan.versions) {
            try {
              await store.repo.delete_model_version!(v.name, v.version);
              deleted.versions++;
            } catch (e) {
              failures.push(`${v.name} v${v.version}: ${(e as Error).message}`);
            }
          }
          for (const r of plan.runs) {
            try {
              await store.tracker!.delete_run!(r.id);
              deleted.runs++;
            } catch (e) {
              failures.push(`run ${r.id}: ${(e as Error).message}`);
            }
          }
        }
        // Blobs last: what the deleted runs referenced is unreferenced now (the dry run plans the same).
        const removedRuns = opts.dryRun
          ? plan.runs.map((r) => r.id)
          : plan.runs.map((r) => r.id).filter((id) => !failures.some((f) => f.startsWith(`run ${id}:`)));
        const blobs = await collectBlobs(store, removedRuns, Boolean(opts.dryRun), failures);
        const { stripControlChars, terminalJson } = await import("@lolpop/core");
        if (opts.json)
          process.stdout.write(
            `${terminalJson({ dry_run: Boolean(opts.dryRun), ...plan, ...(blobs ? { blobs } : {}), deleted, ...(failures.length ? { failures } : {}) })}\n`,
          );
        else {
          const width = terminalWidth();
          const lines: string[] = [];
          const verb = opts.dryRun ? "would delete" : "deleted";
          if (plan.versions.length)
            lines.push(
              renderTable(
                ["MODEL", "VERSION", "WHY"],
                plan.versions.map((v) => [v.name, `v${v.version}`, v.reason]),
                "",
                width,
              ),
              "",
            );
          if (plan.runs.length)
            lines.push(
              renderTable(
                ["RUN", "NAME", "STARTED"],
                plan.runs.map((r) => [r.id, r.name, r.started_at]),
                "",
                width,
              ),
              "",
            );
          lines.push(
            opts.dryRun
              ? `${verb} ${plan.versions.length} model version(s) and ${plan.runs.length} run(s) (--keep ${keep}); run without --dry-run to delete them`
              : `${verb} ${deleted.versions} model version(s) and ${deleted.runs} run(s) (--keep ${keep})`,
          );
          if (blobs)
            lines.push(
              `${opts.dryRun ? "would remove" : "removed"} ${blobs.blobs.length} unreferenced blob(s) (${formatBytes(blobs.bytes)}) and ${blobs.entries.length} step cache entr${blobs.entries.length === 1 ? "y" : "ies"}`,
            );
          else
            lines.push(
              `blobs are not collected: the metadata_tracker ${store.trackerLabel} has no blob store (collect_blobs)`,
            );
          if (!store.tracker || typeof store.tracker.delete_run !== "function")
            lines.push(
              `runs are not collected: the metadata_tracker ${store.trackerLabel} cannot delete runs`,
            );
          process.stdout.write(`${stripControlChars(lines.join("\n"))}\n`);
        }
        if (failures.length) {
          process.stderr.write(
            `lolpop: gc could not delete:\n${failures.map((f) => `  ${stripControlChars(f)}`).join("\n")}\n`,
          );
          setExitCode(1);
        }
      } finally {
        await store.close();
      }
    });
}
