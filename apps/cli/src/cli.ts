/**
 * The `lolpop` command. Exit codes: 0 success, 1 workflow failure, 2 config or usage error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ComponentCallError,
  ConfigError,
  createLogger,
  createWorkflow,
  formatConfigIssue,
  LolpopError,
  loadConfigFile,
  planWorkflow,
  redactText,
  resolveConfig,
  rootCause,
} from "@lolpop/core";
import { Command, CommanderError } from "commander";
import { discoverPlugins, findPackageRoot, loadPlugins, typesUsed } from "./discovery.js";
import { renderSummary } from "./summary.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8")) as { version: string };

class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** When the project has its own @lolpop/cli and it is not this copy, hand off to it. */
function handOff(argv: string[]): number | undefined {
  if (process.env.LOLPOP_NO_HANDOFF) return undefined;
  const root = findPackageRoot(process.cwd());
  if (!root) return undefined;
  let local: string;
  try {
    local = dirname(realpathSync(createRequire(join(root, "noop.js")).resolve("@lolpop/cli/package.json")));
  } catch {
    return undefined;
  }
  if (local === realpathSync(join(here, ".."))) return undefined;
  const r = spawnSync(process.execPath, [join(local, "bin", "lolpop.js"), ...argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1" },
  });
  return r.status ?? 1;
}

async function prepare(configArg: string | undefined) {
  const file = resolve(configArg ?? "lolpop.yaml");
  if (!existsSync(file)) {
    throw new ConfigError({
      issues: [
        {
          code: "config_not_found",
          path: "",
          file,
          message: `no config file here: pass the path of your lolpop.yaml (lolpop run path/to/lolpop.yaml) or run \`lolpop init\``,
        },
      ],
    });
  }
  const source = await loadConfigFile(file);
  const root = dirname(file);
  const data = source.data as { plugins?: unknown } | null;
  const list = Array.isArray(data?.plugins) ? (data!.plugins as string[]) : undefined;
  const discovered = discoverPlugins(root, list);
  const failures = await loadPlugins(discovered, typesUsed(source.data));
  return { source, root, discovered, failures };
}

/** Loads plugins and validates; plugin load failures are added to the config errors (they often explain them). */
async function planFor(configArg: string | undefined) {
  const prepared = await prepare(configArg);
  const plan = () => planWorkflow(prepared.source, resolveConfig(prepared.source));
  try {
    try {
      return { ...prepared, plan: plan() };
    } catch (e) {
      // An unknown type: import every installed plugin so "did you mean" and "installed types" are complete.
      if (!ConfigError.isInstance(e) || !e.issues.some((i) => i.code === "unknown_type")) throw e;
      prepared.failures.push(
        ...(await loadPlugins(prepared.discovered, "all")).filter(
          (f) => !prepared.failures.some((g) => g.plugin === f.plugin),
        ),
      );
      return { ...prepared, plan: plan() };
    }
  } catch (e) {
    if (ConfigError.isInstance(e)) {
      e.issues.push(
        ...prepared.failures.map((f) => ({
          code: "plugin_load_failed",
          path: "plugins",
          message: `${f.plugin}: ${f.error}`,
        })),
      );
    }
    throw e;
  }
}

function describeError(e: unknown): string {
  if (ConfigError.isInstance(e)) {
    return e.issues.length === 1
      ? `config error: ${formatConfigIssue(e.issues[0]!)}`
      : `config errors (${e.issues.length}):\n${e.issues.map((i) => `  ${formatConfigIssue(i)}`).join("\n")}`;
  }
  if (ComponentCallError.isInstance(e)) {
    const root = rootCause(e);
    const hint = LolpopError.isInstance(root)
      ? ""
      : root instanceof Error && root.stack && process.env.LOLPOP_DEBUG
        ? `\n${root.stack}`
        : "";
    return `${e.message}\n  at ${e.frames.join(" > ")}${hint}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const delegated = handOff(argv);
  if (delegated !== undefined) return delegated;
  let exitCode = 0;
  const program = new Command();
  program
    .name("lolpop")
    .description("Run config-driven machine-learning workflows built from swappable components.")
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError("(run lolpop --help for usage)");

  program
    .command("validate")
    .description("Check a workflow config against the installed plugins (nothing runs, nothing is written)")
    .argument("[config]", "path of the workflow config", "lolpop.yaml")
    .option("--json", "print the result as JSON")
    .action(async (config: string, opts: { json?: boolean }) => {
      try {
        const { plan, failures } = await planFor(config);
        const result = {
          ok: true,
          file: plan.file,
          runner: plan.runner.type,
          pipelines: plan.pipelines.map((p) => p.type),
          plugins: plan.plugins,
          plugin_errors: failures,
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else
          process.stdout.write(
            `${plan.file}: valid (${plan.runner.type}; pipelines ${plan.pipelines.map((p) => `${p.attr}=${p.type}`).join(", ")})\n`,
          );
      } catch (e) {
        if (opts.json && ConfigError.isInstance(e)) {
          process.stdout.write(`${JSON.stringify({ ok: false, issues: e.issues })}\n`);
          throw new ExitError(2, "");
        }
        throw e;
      }
    });

  program
    .command("run")
    .description("Run a workflow (default: all steps)")
    .argument("[config]", "path of the workflow config", "lolpop.yaml")
    .option("--step <step>", "process | train | deploy | predict | all", "all")
    .option("--json", "print the summary as JSON on stdout")
    .action(async (config: string, opts: { step: string; json?: boolean }) => {
      const steps = ["process", "train", "deploy", "predict", "all"];
      if (!steps.includes(opts.step))
        throw new ExitError(2, `--step must be one of ${steps.join(", ")} (got "${opts.step}")`);
      const { source, root, failures, plan } = await planFor(config);
      const logger = createLogger({ level: process.env.LOLPOP_LOG_LEVEL ? undefined : "info" });
      for (const f of failures) logger.warn(`plugin ${f.plugin} could not be loaded: ${f.error}`);
      const ac = new AbortController();
      let interrupted = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        interrupted++;
        if (interrupted > 1) process.exit(130);
        logger.warn(`${sig}: cancelling the run (press again to quit at once)`);
        ac.abort(new Error(`interrupted by ${sig}`));
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const wf = await createWorkflow(plan, { logger, signal: ac.signal, source, project: { root } });
        const summary = (await wf.run("run_step", opts.step)) as Record<string, unknown>;
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...summary, lineage: wf.lineage() })}\n`);
        else process.stdout.write(`\n${redactText(renderSummary(summary))}\n`);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      exitCode = e.exitCode === 0 ? 0 : 2;
    } else if (e instanceof ExitError) {
      if (e.message) process.stderr.write(`lolpop: ${e.message}\n`);
      exitCode = e.code;
    } else {
      const config = ConfigError.isInstance(e);
      process.stderr.write(`lolpop: ${redactText(describeError(e))}\n`);
      exitCode = config ? 2 : 1;
    }
  }
  return exitCode;
}
