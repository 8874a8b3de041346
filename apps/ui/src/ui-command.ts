/**
 * `lolpop ui`: the plugin command of @lolpop/ui (listed in its package.json manifest; the lolpop
 * CLI imports this module only when the command runs). Opens the project's store from its config,
 * serves the UI on 127.0.0.1 until SIGTERM or SIGINT.
 *
 * Environment: `LOLPOP_UI_USER` (who actions are recorded as; default the OS user).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { LolpopError, redactText } from "@lolpop/core";
import { defineCommand } from "@lolpop/core/manifest";
import { UiError } from "./ui-error.js";
import { createUiApp } from "./ui-server.js";

/** Default port of `lolpop ui`. */
export const DEFAULT_UI_PORT = 4848;

/** `lolpop ui --help`. */
export const UI_HELP = `Usage: lolpop ui [options]

Open a web UI on the project's store: runs (filters, sort, live while one is RUNNING), a run,
compare 2-5 runs, models and versions with their promotion history, lineage and the workflow
graph; approve, promote and roll back versions (the same code as lolpop models ...).

Options:
  --host <addr>        address to bind (default 127.0.0.1)
  --port <n>           port (default ${DEFAULT_UI_PORT}; 0 picks a free one)
  --read-only          refuse approve/promote/rollback
  -c, --config <file>  the workflow config (default lolpop.yaml here or in the nearest folder above)
  -h, --help           show this help

Environment: LOLPOP_UI_USER records actions under that name (default: the OS user).
Exit codes: 0 stopped by a signal, 2 usage or setup error.
`;

/** Parsed command line of `lolpop ui`. */
export interface UiArgs {
  host: string;
  port: number;
  readOnly: boolean;
  config?: string;
}

/** Parses the arguments after `ui`; `help` when `--help` was asked for. */
export function parseUiArgs(args: string[]): UiArgs | "help" {
  let v: { host?: string; port?: string; "read-only"?: boolean; config?: string; help?: boolean };
  try {
    v = parseArgs({
      args,
      strict: true,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        "read-only": { type: "boolean" },
        config: { type: "string", short: "c" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    throw new UiError({
      message: `${(e as Error).message} (run lolpop ui --help for usage)`,
      code: "ui_usage",
    });
  }
  if (v.help) return "help";
  const port = v.port === undefined ? DEFAULT_UI_PORT : Number(v.port);
  if (!/^\d+$/.test(v.port ?? "0") || port > 65535)
    throw new UiError({
      message: `--port must be a whole number from 0 to 65535 (got "${v.port}")`,
      code: "ui_usage",
    });
  return {
    host: v.host ?? "127.0.0.1",
    port,
    readOnly: Boolean(v["read-only"]),
    ...(v.config !== undefined ? { config: v.config } : {}),
  };
}

export default defineCommand(async (args, ctx) => {
  let a: UiArgs | "help";
  try {
    a = parseUiArgs(args);
  } catch (e) {
    ctx.stderr(`lolpop ui: ${(e as Error).message}\n`);
    return 2;
  }
  if (a === "help") {
    ctx.stdout(UI_HELP);
    return 0;
  }
  const { openStore } = await import("@lolpop/cli");
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(a.config !== undefined ? resolve(ctx.cwd, a.config) : undefined);
  } catch (e) {
    if (LolpopError.isInstance(e) || (e as Error)?.name === "ExitError") {
      ctx.stderr(`lolpop ui: ${redactText((e as Error).message)}\n`);
      return 2;
    }
    throw e;
  }
  const user = process.env.LOLPOP_UI_USER;
  const { app } = await createUiApp(store, { readOnly: a.readOnly, ...(user ? { user } : {}) });
  const address = await app.listen({ host: a.host, port: a.port });
  ctx.stderr(`lolpop ui: ${a.readOnly ? "read-only, " : ""}open ${address.replace("[::1]", "localhost")}\n`);
  return new Promise((done) => {
    const stop = () => {
      app
        .close()
        .then(() => store.close())
        .then(
          () => done(0),
          () => done(1),
        );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
});
