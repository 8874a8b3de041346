/**
 * `lolpop models ...`: list, show, promote, approve, roll back and archive model versions, through
 * the project's `model_repository` (and the deploy pipeline's promotion policy for `approve`).
 * The `models` group is created by {@link addModelsCommands}; other commands (e.g. `models export`)
 * are added to the same group.
 *
 * JSON shapes (`--json`, one document on stdout):
 * - `models list`: `{models: [{name, versions, champion, latest}]}`
 * - `models list NAME`: `{name, champion, versions: ModelVersionInfo[]}`
 * - `models show REF`: `{version: ModelVersionInfo, approved, archived, history: PromotionEvent[]}`
 *   (the moves of the alias that involve this version)
 * - `models history NAME`: `{name, history: PromotionEvent[]}`
 * - `models promote`: `{name, version, promoted, champion, previous}`
 * - `models approve`: `{name, version, approved_by, deploy: DeployResult | null, message}`
 * - `models rollback`: `{name, from, to, promoted, champion}`
 * - `models archive`: `{name, version, archived: true, archived_by}`
 *
 * Exit codes: 0 done; 1 failure (not found, refused, the champion moved meanwhile, a plugin lacks
 * the method); 2 usage or config error.
 */

import type { PromotionEvent } from "@lolpop/core";
import type { Command } from "commander";
import { ExitError, renderTable, terminalWidth } from "./format.js";
import { approveVersion, championOf, promoteVersion, rollbackModel } from "./models-actions.js";
import { openStore, type ProjectStore, requireMethod } from "./models-store.js";

type Out = { json?: boolean; config?: string };

/** Sets the process exit code of the command (the CLI's `exitCode`). */
export type SetExitCode = (code: number) => void;

async function clean(text: string): Promise<string> {
  const { stripControlChars } = await import("@lolpop/core");
  return stripControlChars(text, { newlines: false });
}

async function print(opts: Out, json: unknown, text: () => Promise<string> | string): Promise<void> {
  if (opts.json) {
    const { terminalJson } = await import("@lolpop/core");
    process.stdout.write(`${terminalJson(json)}\n`);
  } else {
    const { stripControlChars } = await import("@lolpop/core");
    const t = stripControlChars(await text());
    process.stdout.write(t.endsWith("\n") ? t : `${t}\n`);
  }
}

/** Runs `fn` with the store open, and closes it. */
async function withStore<T>(opts: Out, fn: (s: ProjectStore) => Promise<T>): Promise<T> {
  const store = await openStore(opts.config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function tagNames() {
  return (await import("@lolpop/core")).MODEL_TAGS;
}

/** Model names: the repository's, else (a repository without list_models) the configured ones. */
async function modelNames(store: ProjectStore): Promise<string[]> {
  const list = store.repo.list_models;
  if (typeof list === "function") return list.call(store.repo);
  return store.configuredModels;
}

const moveText = (e: PromotionEvent) =>
  `${e.at}  ${e.alias}: ${e.previous === null ? "none" : `v${e.previous}`} -> v${e.version}${e.by ? `  by ${e.by}` : ""}${e.reason ? `  (${e.reason})` : ""}`;

/** Adds the `models` group and its commands to `program`; returns the group. */
export function addModelsCommands(program: Command, setExitCode: SetExitCode): Command {
  const models = program
    .command("models")
    .description(
      "List, show, promote, approve, roll back and archive model versions (in the project's model_repository)",
    );
  const configOption = ["-c, --config <file>", "path of the workflow config", "lolpop.yaml"] as const;

  models
    .command("list")
    .description("The registered models, or the versions of one model")
    .argument("[name]", "a model name: list its versions")
    .option(...configOption)
    .option("--json", "print as JSON ({models: [...]} or {name, champion, versions: [...]})")
    .action(async (name: string | undefined, opts: Out) =>
      withStore(opts, async (store) => {
        const T = await tagNames();
        if (name === undefined) {
          if (typeof store.repo.list_models !== "function" && store.configuredModels.length === 0)
            requireMethod(
              store.repo,
              "list_models",
              store.repoLabel,
              "model_repository",
              "lolpop models list",
            );
          const rows: Array<{
            name: string;
            versions: number;
            champion: number | null;
            latest: number | null;
          }> = [];
          for (const n of await modelNames(store)) {
            const versions = await store.repo.list_versions(n);
            if (versions.length === 0) continue;
            rows.push({
              name: n,
              versions: versions.length,
              champion: await championOf(store.repo, n),
              latest: versions.at(-1)?.version ?? null,
            });
          }
          await print(opts, { models: rows }, () =>
            rows.length === 0
              ? "no models registered yet (lolpop run trains and registers one)"
              : renderTable(
                  ["NAME", "VERSIONS", "CHAMPION", "LATEST"],
                  rows.map((r) => [
                    r.name,
                    String(r.versions),
                    r.champion === null ? "-" : `v${r.champion}`,
                    r.latest === null ? "-" : `v${r.latest}`,
                  ]),
                  "",
                  terminalWidth(),
                ),
          );
          return;
        }
        const versions = await store.repo.list_versions(name);
        if (versions.length === 0) throw new ExitError(1, `no model named "${name}" in the model repository`);
        const champion = await championOf(store.repo, name);
        await print(opts, { name, champion, versions }, () =>
          renderTable(
            ["VERSION", "CREATED", "ALIASES", "STATUS", "METRICS", "RUN"],
            versions.map((v) => {
              const metric = v.tags[T.perfMetric];
              const split = v.tags[T.comparisonSplit];
              const value = metric && split ? v.metrics[`${split}.${metric}`] : undefined;
              const status = [
                v.tags[T.approved] === "true" ? "approved" : "",
                v.tags[T.archived] === "true" ? "archived" : "",
              ]
                .filter(Boolean)
                .join(",");
              return [
                `v${v.version}`,
                v.created_at.replace("T", " ").slice(0, 19),
                v.aliases.join(",") || "-",
                status || "-",
                value !== undefined ? `${split}.${metric}=${value.toFixed(4)}` : "-",
                v.run_id ?? "-",
              ];
            }),
            "",
            terminalWidth(),
          ),
        );
      }),
    );

  models
    .command("show")
    .description("One version: metrics, tags, aliases and the moves of its aliases")
    .argument("<ref>", "name (its champion), name@alias or name/version")
    .option(...configOption)
    .option("--json", "print as JSON ({version, approved, archived, history})")
    .action(async (ref: string, opts: Out) =>
      withStore(opts, async (store) => {
        const T = await tagNames();
        const mv = await (await import("@lolpop/core")).resolveModelRef(store.repo, ref);
        const getHistory = store.repo.get_promotion_history;
        const history =
          typeof getHistory === "function"
            ? (await getHistory.call(store.repo, mv.name)).filter(
                (e) => e.version === mv.version || e.previous === mv.version,
              )
            : [];
        const approved = mv.tags[T.approved] === "true";
        const archived = mv.tags[T.archived] === "true";
        await print(opts, { version: mv, approved, archived, history }, () => {
          const lines = [
            `${mv.name} v${mv.version}${mv.aliases.length ? ` (${mv.aliases.join(", ")})` : ""}`,
            `  created   ${mv.created_at}`,
            `  run       ${mv.run_id ?? "-"}`,
            `  uri       ${mv.uri}`,
            `  approved  ${approved ? `yes, by ${mv.tags[T.approvedBy] ?? "?"} at ${mv.tags[T.approvedAt] ?? "?"}${mv.tags[T.approvalComment] ? ` (${mv.tags[T.approvalComment]})` : ""}` : "no"}`,
            ...(archived
              ? [
                  `  archived  by ${mv.tags[T.archivedBy] ?? "?"} at ${mv.tags[T.archivedAt] ?? "?"}${mv.tags[T.archiveReason] ? ` (${mv.tags[T.archiveReason]})` : ""}`,
                ]
              : []),
          ];
          const metrics = Object.entries(mv.metrics).sort(([a], [b]) => (a < b ? -1 : 1));
          if (metrics.length) {
            lines.push("", "Metrics:");
            lines.push(
              renderTable(
                ["METRIC", "VALUE"],
                metrics.map(([k, v]) => [k, String(v)]),
                "  ",
                terminalWidth(),
              ),
            );
          }
          const tags = Object.entries(mv.tags).sort(([a], [b]) => (a < b ? -1 : 1));
          if (tags.length) {
            lines.push("", "Tags:");
            lines.push(
              renderTable(
                ["TAG", "VALUE"],
                tags.map(([k, v]) => [k, v.replace(/\s+/g, " ")]),
                "  ",
                terminalWidth(),
              ),
            );
          }
          if (history.length) lines.push("", "Alias moves:", ...history.map((e) => `  ${moveText(e)}`));
          return lines.join("\n");
        });
      }),
    );

  models
    .command("history")
    .description("Every move of a model's aliases: when, from which version to which, who and why")
    .argument("<name>", "model name")
    .option(...configOption)
    .option("--json", "print as JSON ({name, history})")
    .action(async (name: string, opts: Out) =>
      withStore(opts, async (store) => {
        const getHistory = requireMethod(
          store.repo,
          "get_promotion_history",
          store.repoLabel,
          "model_repository",
          "lolpop models history",
        );
        const history = await getHistory(name);
        await print(opts, { name, history }, () =>
          history.length ? history.map(moveText).join("\n") : `model "${name}" has no alias moves yet`,
        );
      }),
    );

  models
    .command("promote")
    .description(
      "Make a version the champion now, without the promotion policy (compare-and-set against the champion read first)",
    )
    .argument("<name>", "model name")
    .argument("<version>", "version number")
    .option(...configOption)
    .option("--by <who>", "who promotes (default: the OS user)")
    .option("--reason <text>", "why (stored with the promotion)")
    .option("--json", "print as JSON ({name, version, promoted, champion, previous})")
    .action(async (name: string, versionArg: string, opts: Out & { by?: string; reason?: string }) => {
      const version = (await import("@lolpop/core")).parseModelVersion(versionArg);
      await withStore(opts, async (store) => {
        const { ok, message, ...res } = await promoteVersion(store, name, version, {
          ...(opts.by ? { by: opts.by } : {}),
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        });
        await print(opts, res, () => message);
        if (!ok) setExitCode(1);
      });
    });

  models
    .command("approve")
    .description(
      "Record approval of a version, then apply the deploy pipeline's promotion policy to it (no retraining): it becomes champion when the policy says so",
    )
    .argument("<name>", "model name")
    .argument("<version>", "version number")
    .option(...configOption)
    .option("--by <who>", "who approves (default: the OS user)")
    .option("--comment <text>", "a comment stored with the approval")
    .option("--no-deploy", "only record the approval")
    .option("--json", "print as JSON ({name, version, approved_by, deploy, message})")
    .action(
      async (
        name: string,
        versionArg: string,
        opts: Out & { by?: string; comment?: string; deploy?: boolean },
      ) => {
        const version = (await import("@lolpop/core")).parseModelVersion(versionArg);
        await withStore(opts, async (store) => {
          const out = await approveVersion(store, name, version, {
            ...(opts.by ? { by: opts.by } : {}),
            ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
            deploy: opts.deploy !== false,
            // A notifier may print to stdout: with --json, stdout holds the JSON document only.
            wrapDeploy: (fn) => stdoutToStderrWhile(Boolean(opts.json), fn),
          });
          await print(opts, out, () => out.message);
        });
      },
    );

  models
    .command("rollback")
    .description("Make the previous champion the champion again (from the promotion history)")
    .argument("<name>", "model name")
    .option(...configOption)
    .option("--by <who>", "who rolls back (default: the OS user)")
    .option("--reason <text>", "why (stored with the move)")
    .option("--json", "print as JSON ({name, from, to, promoted, champion})")
    .action(async (name: string, opts: Out & { by?: string; reason?: string }) =>
      withStore(opts, async (store) => {
        const { message, ...res } = await rollbackModel(store, name, {
          ...(opts.by ? { by: opts.by } : {}),
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        });
        await print(opts, res, () => message);
        if (!res.promoted) setExitCode(1);
      }),
    );

  models
    .command("archive")
    .description("Mark a version archived: kept, but `lolpop gc` may delete it (never the champion)")
    .argument("<name>", "model name")
    .argument("<version>", "version number")
    .option(...configOption)
    .option("--by <who>", "who archives (default: the OS user)")
    .option("--reason <text>", "why")
    .option("--json", "print as JSON ({name, version, archived, archived_by})")
    .action(async (name: string, versionArg: string, opts: Out & { by?: string; reason?: string }) => {
      const version = (await import("@lolpop/core")).parseModelVersion(versionArg);
      await withStore(opts, async (store) => {
        const { osUserName } = await import("@lolpop/core");
        const archive = requireMethod(
          store.repo,
          "archive_model",
          store.repoLabel,
          "model_repository",
          "lolpop models archive",
        );
        const by = opts.by || osUserName();
        await archive(name, version, {
          archived_by: by,
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        });
        await print(
          opts,
          { name, version, archived: true, archived_by: by },
          async () => `${name} v${version} archived by ${await clean(by)}`,
        );
      });
    });

  return models;
}

/** Runs `fn` with stdout writes sent to stderr when `enabled`. */
async function stdoutToStderrWhile<T>(enabled: boolean, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const original = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = original;
  }
}
