/**
 * `lolpop runs attach <id>` and `lolpop runs cancel <id>`: plugin commands of @lolpop/temporal for
 * runs started with `lolpop run --orchestrator temporal` (the run id is the Temporal workflow id).
 * `attach` follows the run to its end and prints its summary like `lolpop run` (exit 0 when it
 * succeeded, 1 when it failed or was cancelled); `cancel` asks Temporal to cancel it: the running
 * step is told through its abort signal, open tracker runs end KILLED.
 */
import { parseArgs } from "node:util";
import { partialRunOf, redactText, redactValue, terminalJson } from "@lolpop/core";
import type { PluginCommandContext } from "@lolpop/core/manifest";
import { TemporalConfigError } from "./temporal-config-error.js";
import { connectTemporal, followRun } from "./temporal-orchestrator.js";
import { temporalSettings } from "./temporal-settings.js";

const COMMON_OPTIONS = `  --address <host:port>  Temporal frontend (default $TEMPORAL_ADDRESS, else 127.0.0.1:7233)
  --namespace <ns>    Temporal namespace (default $TEMPORAL_NAMESPACE, else default)
  -h, --help          show this help
`;

/** `lolpop runs attach --help`. */
export const ATTACH_HELP = `Usage: lolpop runs attach <run-id> [options]

Follow a run started with --orchestrator temporal until it ends and print its summary.

Options:
  --json              print {ok, ...summary} (or {ok: false, summary, error}) as JSON
${COMMON_OPTIONS}`;

/** `lolpop runs cancel --help`. */
export const CANCEL_HELP = `Usage: lolpop runs cancel <run-id> [options]

Cancel a run started with --orchestrator temporal: its running step is cancelled and the run ends KILLED.

Options:
${COMMON_OPTIONS}`;

function parse(args: string[], help: string, ctx: PluginCommandContext, json: boolean) {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        address: { type: "string" },
        namespace: { type: "string" },
        help: { type: "boolean", short: "h" },
        ...(json ? { json: { type: "boolean" as const } } : {}),
      },
      strict: true,
    });
    if (values.help) {
      ctx.stdout(help);
      return 0;
    }
    if (positionals.length !== 1) {
      ctx.stderr(`lolpop ${ctx.command}: give one run id\n\n${help}`);
      return 2;
    }
    const settings = temporalSettings(
      {},
      {
        ...(typeof values.address === "string" ? { address: values.address } : {}),
        ...(typeof values.namespace === "string" ? { namespace: values.namespace } : {}),
      },
    );
    return { id: positionals[0]!, settings, json: Boolean((values as { json?: boolean }).json) };
  } catch (e) {
    ctx.stderr(`lolpop ${ctx.command}: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
}

/** How a run's outcome is printed: the CLI's own rendering (`lolpop run`'s), else JSON. */
interface OutcomeRendering {
  succeeded(summary: Record<string, unknown>, opts: { json: boolean }): string;
  failed(error: unknown, message: string, opts: { json: boolean }): string;
}

async function outcomeRendering(): Promise<OutcomeRendering> {
  try {
    const cli = (await import("@lolpop/cli")) as Partial<{
      renderRunSucceeded: OutcomeRendering["succeeded"];
      renderRunFailed: OutcomeRendering["failed"];
    }>;
    if (cli.renderRunSucceeded && cli.renderRunFailed)
      return { succeeded: cli.renderRunSucceeded, failed: cli.renderRunFailed };
  } catch {
    // No @lolpop/cli next to this package (or an older one): print the summary as JSON.
  }
  return {
    succeeded: (summary, opts) =>
      opts.json
        ? terminalJson({ ok: true, ...summary })
        : `${JSON.stringify(redactValue(summary), null, 2)}\n`,
    failed: (error, message, opts) => {
      const partial = partialRunOf(error);
      const text = redactText(message);
      if (opts.json)
        return terminalJson({
          ok: false,
          ...(partial ? { summary: redactValue(partial.summary) } : {}),
          error: { ...(partial ? { step: partial.step, code: partial.code } : {}), message: text },
        });
      return partial ? `${JSON.stringify(redactValue(partial.summary), null, 2)}\n` : "";
    },
  };
}

/** Runs `fn` with a connection to the Temporal frontend; a bad address or namespace exits 2. */
export async function withConnection(
  settings: Parameters<typeof connectTemporal>[0],
  ctx: PluginCommandContext,
  fn: (h: Awaited<ReturnType<typeof connectTemporal>>) => Promise<number>,
): Promise<number> {
  let h: Awaited<ReturnType<typeof connectTemporal>>;
  try {
    h = await connectTemporal(settings);
  } catch (e) {
    if (!TemporalConfigError.isInstance(e)) throw e;
    ctx.stderr(`lolpop ${ctx.command}: ${e.message}\n`);
    return 2;
  }
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

/** `lolpop runs attach <id>`. */
export async function runsAttach(args: string[], ctx: PluginCommandContext): Promise<number> {
  const p = parse(args, ATTACH_HELP, ctx, true);
  if (typeof p === "number") return p;
  return withConnection(p.settings, ctx, async (h) => {
    try {
      const summary = await followRun(h, p.id, {
        onStep: (step, status) => {
          if (!p.json && status === "started") ctx.stderr(`${step}...\n`);
        },
      });
      ctx.stdout((await outcomeRendering()).succeeded(summary, { json: p.json }));
      return 0;
    } catch (e) {
      const partial = partialRunOf(e);
      const message = redactText(e instanceof Error ? e.message : String(e));
      ctx.stdout((await outcomeRendering()).failed(e, message, { json: p.json }));
      if (!p.json) ctx.stderr(`run ${p.id} failed${partial ? ` at ${partial.step}` : ""}: ${message}\n`);
      return 1;
    }
  });
}

/** `lolpop runs cancel <id>`. */
export async function runsCancel(args: string[], ctx: PluginCommandContext): Promise<number> {
  const p = parse(args, CANCEL_HELP, ctx, false);
  if (typeof p === "number") return p;
  return withConnection(p.settings, ctx, async (h) => {
    try {
      await h.client.workflow.getHandle(p.id).cancel();
      ctx.stdout(`cancel requested for run ${p.id}\n`);
      return 0;
    } catch (e) {
      ctx.stderr(`lolpop ${ctx.command}: cannot cancel run ${p.id}: ${(e as Error).message}\n`);
      return 1;
    }
  });
}
