/**
 * `lolpop schedule create|list|delete`: plugin commands of @lolpop/temporal that run a workflow
 * config on a cron spec with Temporal Schedules. Each scheduled action starts the `lolpopRun`
 * workflow (the run id is the scheduled workflow id, `lolpop-<schedule id>-<time>`) on the config's
 * task queue; any `lolpop worker` there runs it. A run still going when the next is due is skipped
 * (overlap `skip`, change with `--overlap`).
 *
 * Connection settings: the config's `orchestrator:` section, then `--address`, `--namespace`,
 * `--task-queue`, then TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / LOLPOP_TASK_QUEUE.
 */
import { parseArgs } from "node:util";
import { loadConfigFile, terminalJson } from "@lolpop/core";
import type { PluginCommandContext } from "@lolpop/core/manifest";
import { ScheduleOverlapPolicy } from "@temporalio/client";
import { type connectTemporal, WORKFLOW_TYPE } from "./temporal-orchestrator.js";
import { withConnection } from "./temporal-runs-commands.js";
import { type TemporalSettings, temporalSettings } from "./temporal-settings.js";
import type { LolpopRunInput } from "./temporal-workflow-types.js";

const COMMON = `  --address <host:port>  Temporal frontend (default: the config's orchestrator.address, $TEMPORAL_ADDRESS, 127.0.0.1:7233)
  --namespace <ns>    Temporal namespace (default: the config's, $TEMPORAL_NAMESPACE, default)
  -c, --config <file> workflow config (default lolpop.yaml)
  --json              print JSON
  -h, --help          show this help
`;

/** `lolpop schedule create --help`. */
export const SCHEDULE_CREATE_HELP = `Usage: lolpop schedule create <schedule-id> --cron "<spec>" [options]

Run a workflow config on a cron spec (UTC) with Temporal Schedules; \`lolpop worker\` processes run it.

Options:
  --cron <spec>       cron spec, e.g. "0 2 * * *" (every day at 02:00 UTC); repeat for several
  --step <step>       process | train | deploy | predict | evaluate | all (default all)
  --force             register the challenger even when an identical version exists
  --overlap <policy>  when a run is still going: skip (default), buffer_one, buffer_all, cancel_other, terminate_other, allow_all
  --paused            create it paused
  --task-queue <q>    task queue (default: the config's orchestrator.task_queue, $LOLPOP_TASK_QUEUE, lolpop)
${COMMON}`;

/** `lolpop schedule list --help`. */
export const SCHEDULE_LIST_HELP = `Usage: lolpop schedule list [options]

List the lolpop schedules with their cron specs, state and next run times.

Options:
${COMMON}`;

/** `lolpop schedule delete --help`. */
export const SCHEDULE_DELETE_HELP = `Usage: lolpop schedule delete <schedule-id> [options]

Delete a schedule (runs it started are not affected).

Options:
${COMMON}`;

const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
  terminate_other: ScheduleOverlapPolicy.TERMINATE_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};
const STEPS = ["process", "train", "deploy", "predict", "evaluate", "all"];

/** Thrown for bad arguments: printed with the help, exit 2. */
class UsageError extends Error {}

interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

function parse(args: string[], withCreate: boolean): Parsed {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      address: { type: "string" },
      namespace: { type: "string" },
      config: { type: "string", short: "c" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      ...(withCreate
        ? {
            cron: { type: "string" as const, multiple: true },
            step: { type: "string" as const },
            force: { type: "boolean" as const },
            overlap: { type: "string" as const },
            paused: { type: "boolean" as const },
            "task-queue": { type: "string" as const },
            set: { type: "string" as const, multiple: true },
          }
        : {}),
    },
  }) as Parsed;
}

/** The config file (absolute) and the Temporal settings of its `orchestrator:` section plus the flags. */
async function settingsOf(
  values: Parsed["values"],
  ctx: PluginCommandContext,
): Promise<{ configFile: string; settings: TemporalSettings }> {
  const source = await loadConfigFile(
    typeof values.config === "string" ? values.config : "lolpop.yaml",
    ctx.cwd,
  );
  const raw = (source.data as { orchestrator?: unknown } | null)?.orchestrator;
  const section: Record<string, unknown> =
    raw && typeof raw === "object" ? { ...(raw as Record<string, unknown>) } : {};
  delete section.type;
  const settings = temporalSettings(section, {
    ...(typeof values.address === "string" ? { address: values.address } : {}),
    ...(typeof values.namespace === "string" ? { namespace: values.namespace } : {}),
    ...(typeof values["task-queue"] === "string" ? { task_queue: values["task-queue"] } : {}),
  });
  return { configFile: source.file, settings };
}

/** Runs a schedule command: usage errors exit 2 with the help, an unreachable server exits 2. */
async function command(
  args: string[],
  ctx: PluginCommandContext,
  help: string,
  withCreate: boolean,
  fn: (p: Parsed, h: Awaited<ReturnType<typeof connectTemporal>>, configFile: string) => Promise<number>,
): Promise<number> {
  let p: Parsed;
  let configFile: string;
  let settings: TemporalSettings;
  try {
    p = parse(args, withCreate);
    if (p.values.help) {
      ctx.stdout(help);
      return 0;
    }
    ({ configFile, settings } = await settingsOf(p.values, ctx));
  } catch (e) {
    ctx.stderr(`lolpop ${ctx.command}: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  return withConnection(settings, ctx, async (h) => {
    try {
      return await fn(p, h, configFile);
    } catch (e) {
      if (e instanceof UsageError) {
        ctx.stderr(`lolpop ${ctx.command}: ${e.message}\n\n${help}`);
        return 2;
      }
      ctx.stderr(`lolpop ${ctx.command}: ${(e as Error).message}\n`);
      return 1;
    }
  });
}

/** `lolpop schedule create <id> --cron "<spec>"`. */
export function scheduleCreate(args: string[], ctx: PluginCommandContext): Promise<number> {
  return command(args, ctx, SCHEDULE_CREATE_HELP, true, async ({ values, positionals }, h, configFile) => {
    if (positionals.length !== 1) throw new UsageError("give one schedule id");
    const id = positionals[0]!;
    const cron = (values.cron as string[] | undefined) ?? [];
    if (cron.length === 0) throw new UsageError('give --cron "<spec>", e.g. --cron "0 2 * * *"');
    if (values.set)
      throw new UsageError(
        `--set cannot be used with a schedule: its runs read ${configFile} itself; edit the file instead`,
      );
    const step = typeof values.step === "string" ? values.step : "all";
    if (!STEPS.includes(step))
      throw new UsageError(`--step must be one of ${STEPS.join(", ")}, got "${step}"`);
    const overlapName = typeof values.overlap === "string" ? values.overlap : "skip";
    const overlap = OVERLAP[overlapName];
    if (overlap === undefined)
      throw new UsageError(
        `--overlap must be one of ${Object.keys(OVERLAP).join(", ")}, got "${overlapName}"`,
      );
    const input: LolpopRunInput = {
      configFile,
      // Empty: each scheduled run takes its workflow id as its run id.
      runId: "",
      step,
      ...(values.force ? { force: true } : {}),
      taskQueue: h.settings.task_queue,
      steps: h.settings.steps as LolpopRunInput["steps"],
    };
    await h.client.schedule.create({
      scheduleId: id,
      spec: { cronExpressions: cron },
      action: {
        type: "startWorkflow",
        workflowType: WORKFLOW_TYPE,
        workflowId: `lolpop-${id}`,
        taskQueue: h.settings.task_queue,
        args: [input],
      },
      policies: { overlap },
      state: { paused: Boolean(values.paused), note: `lolpop ${step} ${configFile}` },
      memo: { lolpop: { configFile, step } },
    });
    const described = await h.client.schedule.getHandle(id).describe();
    const next = described.info.nextActionTimes.map((d) => d.toISOString());
    ctx.stdout(
      values.json
        ? terminalJson({
            id,
            cron,
            step,
            config: configFile,
            paused: Boolean(values.paused),
            next_runs: next,
          })
        : `schedule ${id} created: ${step} of ${configFile} at "${cron.join('", "')}" (UTC)${values.paused ? ", paused" : `, next run ${next[0] ?? "none"}`}\n`,
    );
    return 0;
  });
}

/** `lolpop schedule list`. */
export function scheduleList(args: string[], ctx: PluginCommandContext): Promise<number> {
  return command(args, ctx, SCHEDULE_LIST_HELP, false, async ({ values }, h) => {
    const rows: Array<{
      id: string;
      cron: string[];
      paused: boolean;
      next_runs: string[];
      config?: string;
      step?: string;
    }> = [];
    for await (const s of h.client.schedule.list()) {
      if (s.action?.type !== "startWorkflow" || s.action.workflowType !== WORKFLOW_TYPE) continue;
      const memo = (s.memo?.lolpop ?? {}) as { configFile?: string; step?: string };
      rows.push({
        id: s.scheduleId,
        cron: (s.spec?.calendars ?? []).length ? await cronOf(h, s.scheduleId) : [],
        paused: Boolean(s.state?.paused),
        next_runs: (s.info?.nextActionTimes ?? []).map((d) => d.toISOString()),
        ...(memo.configFile ? { config: memo.configFile } : {}),
        ...(memo.step ? { step: memo.step } : {}),
      });
    }
    rows.sort((a, b) => a.id.localeCompare(b.id));
    if (values.json) ctx.stdout(terminalJson(rows));
    else if (rows.length === 0) ctx.stdout("no lolpop schedules\n");
    else
      for (const r of rows)
        ctx.stdout(
          `${r.id}  ${r.paused ? "paused" : `next ${r.next_runs[0] ?? "none"}`}  ${r.step ?? ""} ${r.config ?? ""}\n`,
        );
    return 0;
  });
}

/** The cron specs a schedule was created with (Temporal keeps them as written). */
async function cronOf(h: Awaited<ReturnType<typeof connectTemporal>>, id: string): Promise<string[]> {
  const d = await h.client.schedule.getHandle(id).describe();
  const raw = (d.raw as { schedule?: { spec?: { cronString?: string[] } } }).schedule?.spec?.cronString;
  return raw ?? [];
}

/** `lolpop schedule delete <id>`. */
export function scheduleDelete(args: string[], ctx: PluginCommandContext): Promise<number> {
  return command(args, ctx, SCHEDULE_DELETE_HELP, false, async ({ values, positionals }, h) => {
    if (positionals.length !== 1) throw new UsageError("give one schedule id");
    const id = positionals[0]!;
    await h.client.schedule.getHandle(id).delete();
    ctx.stdout(values.json ? terminalJson({ id, deleted: true }) : `schedule ${id} deleted\n`);
    return 0;
  });
}
