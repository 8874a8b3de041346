/**
 * The `lolpop` command. Exit codes: 0 success, 1 workflow, test or health failure, 2 config or usage error.
 * Only what every command needs is imported up front; each command loads its modules (and
 * @lolpop/core) when it runs, so `lolpop plugins list` and `--help` stay fast.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type {
  ConfigIssue,
  createLogger,
  Hook,
  LoadedProject,
  Logger,
  Middleware,
  Workflow,
} from "@lolpop/core";
import {
  BUILTIN_COMMANDS,
  cliPackageDir,
  discoverProject,
  EXTENSIBLE_GROUPS,
  findPackageRoot,
} from "./discovery.js";
import { describeError, exitCodeOf } from "./exit-code.js";
import { ExitError, formatMs, renderTable, writeLine as write } from "./format.js";
import { TEMPLATES, type Template } from "./init.js";
import {
  cliInfo,
  discoverHere,
  findConfig,
  findPlugin,
  infoJson,
  listJson,
  renderInfo,
  renderList,
} from "./plugins-command.js";
import type { ComponentInfo } from "./schemas.js";
import { runValidate, type ValidateOptions, validateCommand } from "./validate-command.js";
import { cliVersion } from "./versions.js";
import type { TestReport } from "./workflow-test.js";

/** Help of the `[config]` argument of the commands that read a config. */
const CONFIG_ARG_HELP =
  "path of the workflow config (default: lolpop.yaml here or in the nearest folder above)";

/** Help of `--set`. */
const SET_HELP =
  "override a config value (repeatable): a YAML path and a YAML value, e.g. --set train.model_trainer.config.training_params.max_depth=4";

function collectSet(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const STEPS = ["process", "train", "deploy", "predict", "evaluate", "all"];

/** What each `--step` runs (the runner's `run_step`), shown after --help. */
const STEP_HELP = `
Steps (--step):
  process   read, transform and check the data
  train     process, then train and register a model
  deploy    process and train, then promote the winner
  predict   only: score predict's data with the current champion
  evaluate  only: compare the latest predictions with predict.config.ground_truth_path
  all       process, train, deploy, then predict when a predict pipeline is configured (default)`;

function checkStep(step: string): void {
  if (!STEPS.includes(step))
    throw new ExitError(2, `--step must be one of ${STEPS.join(", ")} (got "${step}")`);
}

/** Cancels on the first SIGINT/SIGTERM, quits on the second. Returns the signal and a cleanup. */
function interruptible(logger: ReturnType<typeof createLogger>) {
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
  return {
    signal: ac.signal,
    done: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/**
 * Runs `fn` with anything written to stdout (e.g. by a notifier component) sent to stderr, so that
 * with `--json` stdout holds the JSON document only.
 */
async function stdoutToStderr<T>(enabled: boolean | undefined, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const stdoutWrite = process.stdout.write;
  const toStderr = process.stderr.write.bind(process.stderr) as (...args: unknown[]) => boolean;
  process.stdout.write = ((...args: unknown[]) => toStderr(...args)) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = stdoutWrite;
  }
}

/**
 * `lolpop run` through an orchestrator: the project is validated here (same errors as a local run),
 * then the orchestrator runs the steps elsewhere; the summary and failures print as for a local run.
 */
async function runOrchestrated(
  loaded: Awaited<ReturnType<typeof import("./project.js").openProject>>,
  opts: { step: string; json?: boolean; force?: boolean; orchestrator?: string; set?: string[] },
): Promise<number> {
  const { ConfigError, createLogger, partialRunOf } = await import("@lolpop/core");
  const { randomUUID } = await import("node:crypto");
  const { projectPlugins } = await import("./project.js");
  const { findLauncher } = await import("./orchestrators.js");
  const { renderRunFailed, renderRunSucceeded } = await import("./summary.js");
  const plan = loaded.plan;
  // Workers read the config file itself: an override given here would not reach them.
  if (opts.set?.length)
    throw new ExitError(
      2,
      `--set cannot be used with an orchestrator (${opts.orchestrator ?? plan.orchestrator?.type}): its workers read ${plan.file} itself; edit the file instead`,
    );
  const name = opts.orchestrator ?? plan.orchestrator?.type;
  const launcher = await findLauncher(name, projectPlugins(plan.source).discovery, plan.file);
  if (!launcher) throw new Error(`orchestrator ${name ?? "(none)"} runs in-process`);
  const issues =
    launcher.check?.(plan.orchestrator ? plan : { ...plan, orchestrator: { type: name!, config: {} } }) ?? [];
  if (issues.length) throw new ConfigError({ issues });
  const logger = createLogger({ level: process.env.LOLPOP_LOG_LEVEL ? undefined : "info" });
  const runId = randomUUID();
  logger.info(`run ${runId} on ${launcher.name} (lolpop runs attach ${runId} to follow it from elsewhere)`);
  try {
    const summary = await launcher.run({
      configFile: plan.file,
      step: opts.step,
      runId,
      ...(opts.force ? { force: true } : {}),
      config: plan.orchestrator && plan.orchestrator.type === name ? plan.orchestrator.config : {},
      onStep: (step, status) => logger.info(`${step} ${status}`),
    });
    write(renderRunSucceeded(summary, opts));
    return 0;
  } catch (e) {
    if (partialRunOf(e)) write(renderRunFailed(e, await describeError(e), opts));
    throw e;
  }
}

/**
 * Runs one step of a loaded project: warns about plugins that could not be loaded, builds the
 * workflow, cancels it on SIGINT/SIGTERM and keeps stdout for the JSON document with `--json`.
 * `built` sees the workflow before it runs (it may throw to stop). The one sequence of `run` and `test`.
 */
async function runStep(
  loaded: LoadedProject,
  opts: {
    step: string;
    json?: boolean;
    logger: Logger;
    hooks?: Hook[];
    middlewares?: Middleware[];
    built?: (wf: Workflow) => void;
    /** Extra arguments of `run_step` after the step (e.g. `{force: true}`). */
    args?: unknown[];
  },
): Promise<{ workflow: Workflow; result: unknown }> {
  for (const f of loaded.pluginFailures)
    opts.logger.warn(`plugin ${f.plugin} could not be loaded: ${f.error}`);
  const run = interruptible(opts.logger);
  try {
    const workflow = await loaded.createWorkflow({
      logger: opts.logger,
      signal: run.signal,
      ...(opts.hooks ? { hooks: opts.hooks } : {}),
      ...(opts.middlewares ? { middlewares: opts.middlewares } : {}),
    });
    opts.built?.(workflow);
    const result = await stdoutToStderr(opts.json, () =>
      workflow.run("run_step", opts.step, ...(opts.args ?? [])),
    );
    return { workflow, result };
  } finally {
    run.done();
  }
}

async function testCommand(
  config: string | undefined,
  opts: { step: string; json?: boolean; tests?: string; set?: string[]; store?: string },
): Promise<number> {
  checkStep(opts.step);
  const store = opts.store ?? "scratch";
  if (store !== "scratch" && store !== "live")
    throw new ExitError(2, `--store must be scratch or live (got "${store}")`);
  const t0 = performance.now();
  const { openProject } = await import("./project.js");
  let loaded = await openProject(config, { overrides: opts.set ?? [] });
  // Unless --store live: the run registers, promotes and predicts in a scratch copy of the store.
  let scratch: import("./scratch-store.js").ScratchStore | undefined;
  if (store === "scratch") {
    const { prepareScratchStore } = await import("./scratch-store.js");
    scratch = prepareScratchStore(loaded.plan, dirname(loaded.plan.file));
    try {
      loaded = await openProject(loaded.plan.file, {
        overrides: [...(opts.set ?? []), ...scratch.overrides],
        project: { stateDir: scratch.stateDir },
      });
    } catch (e) {
      scratch.cleanup();
      throw e;
    }
  }
  try {
    return await testLoaded(loaded, opts, t0);
  } finally {
    scratch?.cleanup();
  }
}

async function testLoaded(
  loaded: LoadedProject,
  opts: { step: string; json?: boolean; tests?: string },
  t0: number,
): Promise<number> {
  const { ConfigError, createLogger, loadConfigFile, redactText } = await import("@lolpop/core");
  const { buildReport, checkTests, createRecorder, stopCause, throwIssues } = await import(
    "./workflow-test.js"
  );
  const { plan } = loaded;
  const source = plan.source;
  const testsSource = opts.tests ? await loadConfigFile(resolve(opts.tests)) : source;
  const issues: ConfigIssue[] = [];
  const base = dirname(testsSource.file);
  const { specs, fns } = await checkTests(plan, testsSource, Boolean(opts.tests), issues);
  if (specs.length === 0 && issues.length === 0)
    issues.push({
      code: "no_tests",
      path: "tests",
      file: testsSource.file,
      message:
        "no workflow tests: add a tests: section mapping path.method (e.g. train.model_trainer.fit) to pre_hooks / post_hooks",
    });
  throwIssues(issues);

  const logger = createLogger({ level: process.env.LOLPOP_LOG_LEVEL ? undefined : "info" });
  let wf: Workflow | undefined;
  const pipelines = new Set(plan.pipelines.map((p) => p.attr));
  const target = (path: string): unknown =>
    !wf
      ? undefined
      : path === "runner"
        ? wf.runner
        : pipelines.has(path)
          ? wf.pipeline(path)
          : wf.component(path);
  const recorder = createRecorder(fns, base, target);
  // Every hook must name a method its target has: checked on the built workflow, before it runs.
  const checkMethods = (built: Workflow) => {
    wf = built;
    for (const spec of fns.keys()) {
      const obj = target(spec.target) as Record<string, unknown>;
      if (typeof obj?.[spec.method] !== "function") {
        const proto = Object.getPrototypeOf(obj ?? {});
        const methods = [
          ...new Set([
            ...Object.keys(obj ?? {}),
            ...(proto && proto !== Object.prototype ? Object.getOwnPropertyNames(proto) : []),
          ]),
        ].filter((m) => m !== "constructor" && !m.startsWith("_") && typeof obj[m] === "function");
        const loc = testsSource.locate(spec.yamlPath.slice(0, 2));
        issues.push({
          code: "unknown_method",
          path: spec.yamlPath.slice(0, 2).join("."),
          file: testsSource.file,
          ...(loc ? { line: loc.line, column: loc.column } : {}),
          message: `${spec.target} has no method "${spec.method}" (methods: ${methods.join(", ") || "none"})`,
        });
      }
    }
    throwIssues(issues);
  };
  let workflow: TestReport["workflow"];
  const w0 = performance.now();
  try {
    await runStep(loaded, {
      step: opts.step,
      json: opts.json,
      logger,
      hooks: recorder.hooks,
      built: checkMethods,
      // The hooks on training must run every time: an identical challenger is trained and
      // registered anyway (as with lolpop run --force), and no step is taken from the step cache
      // (a hook on a component call would see no call).
      args: [{ force: true, cache: false }],
    });
    workflow = { status: "succeeded", duration_ms: Math.round(performance.now() - w0) };
  } catch (e) {
    if (ConfigError.isInstance(e)) throw e;
    const stop = stopCause(e);
    workflow = {
      status: stop ? "stopped" : "failed",
      duration_ms: Math.round(performance.now() - w0),
      error: redactText(stop ? stop.message : await describeError(e)),
    };
  }
  const report = buildReport({
    config: source.file,
    step: opts.step,
    hooks: recorder.results(),
    workflow,
    duration_ms: performance.now() - t0,
  });
  if (opts.json) write(JSON.stringify(report));
  else write(renderTestReport(report));
  if (!report.ok) {
    const bad = report.hooks.filter(
      (h) => h.status === "failed" || (h.status === "not_run" && h.on_error !== "warn"),
    );
    for (const h of bad)
      process.stderr.write(
        `lolpop: ${h.status === "not_run" ? "did not run" : "FAILED"}: ${h.phase}-hook ${h.hook} on ${h.key}: ${h.message ?? ""}\n`,
      );
    if (report.workflow.status !== "succeeded")
      process.stderr.write(`lolpop: the workflow ${report.workflow.status}: ${report.workflow.error}\n`);
  }
  return report.ok ? 0 : 1;
}

/** The text report of `lolpop test`. */
export function renderTestReport(r: TestReport): string {
  const mark = { passed: "pass", failed: "FAIL", warned: "warn", not_run: "NOT RUN" } as const;
  const lines = [
    `lolpop test ${r.config} (step ${r.step}): ${r.hooks.length} hooks, ${r.passed} passed, ${r.failed} failed${r.warned ? `, ${r.warned} warned` : ""}${r.not_run ? `, ${r.not_run} not run` : ""}`,
    "",
    renderTable(
      ["STATUS", "HOOK", "ON", "CALLS", "TIME"],
      r.hooks.map((h) => [
        mark[h.status],
        `${h.phase}-hook ${h.hook}${h.name !== h.hook.slice(h.hook.lastIndexOf("#") + 1) ? ` "${h.name}"` : ""}`,
        h.key,
        String(h.calls),
        formatMs(h.duration_ms),
      ]),
      "  ",
    ),
  ];
  const notes = r.hooks.filter((h) => h.status !== "passed" && h.message);
  if (notes.length) {
    lines.push("");
    for (const h of notes)
      lines.push(`  ${mark[h.status]} ${h.phase}-hook ${h.hook} on ${h.key}: ${h.message}`);
  }
  lines.push(
    "",
    `workflow ${r.workflow.status} in ${formatMs(r.workflow.duration_ms)}${r.workflow.error ? `: ${r.workflow.error}` : ""}`,
    r.ok ? "PASSED" : "FAILED",
  );
  return lines.join("\n");
}

async function schemaCommand(opts: { config?: string; out?: string }): Promise<number> {
  const { componentInfos } = await import("./loader.js");
  const { buildConfigSchema } = await import("./schemas.js");
  const d = await discoverHere(opts.config);
  const infos: ComponentInfo[] = [];
  for (const p of d.plugins) {
    if (p.status !== "ok") {
      process.stderr.write(`lolpop: skipping ${p.name} (${p.status}): ${p.error}\n`);
      continue;
    }
    try {
      infos.push(...(await componentInfos(p)));
    } catch (e) {
      process.stderr.write(`lolpop: skipping ${p.name}: ${(e as Error).message}\n`);
    }
  }
  const schema = buildConfigSchema(infos);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  if (!opts.out) {
    process.stdout.write(text);
    return 0;
  }
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  const yamlDir = d.configFile ? dirname(d.configFile) : process.cwd();
  const rel = relative(yamlDir, out) || out;
  write(
    `wrote ${out}: ${infos.length} types from ${new Set(infos.map((i) => i.plugin)).size} plugins.\nFor editor completion and checks, start lolpop.yaml with:\n# yaml-language-server: $schema=${rel.startsWith(".") ? rel : `./${rel}`}`,
  );
  return 0;
}

async function listCommand(opts: { config?: string; json?: boolean }): Promise<void> {
  const d = await discoverHere(opts.config);
  const cli = cliInfo();
  write(opts.json ? JSON.stringify(listJson(d, cli)) : renderList(d, cli));
}

/**
 * `plugins list` with only its own options, recognized without loading the argument parser: the
 * command people and editors run most, kept as fast as a Node start allows.
 */
export function fastPluginsList(args: string[]): { config?: string; json?: boolean } | undefined {
  if (args[0] !== "plugins" || args[1] !== "list") return undefined;
  const opts: { config?: string; json?: boolean } = {};
  for (let i = 2; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--json") opts.json = true;
    else if ((a === "-c" || a === "--config") && i + 1 < args.length && !args[i + 1]!.startsWith("-"))
      opts.config = args[++i];
    else if (a.startsWith("--config=") && a.length > 9) opts.config = a.slice(9);
    else return undefined;
  }
  return opts;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const fast = fastPluginsList(argv.slice(2));
  if (fast) {
    try {
      await listCommand(fast);
      return 0;
    } catch (e) {
      return exitCodeOf(e, (_e): _e is { exitCode: number } => false);
    }
  }
  // `lolpop validate` in its plain forms runs without loading commander (validate-command.ts).
  const validated = await runValidate(argv.slice(2), write);
  if (validated !== undefined) return validated;
  const { Command, CommanderError } = await import("commander");
  let exitCode = 0;
  const program = new Command();
  program
    .name("lolpop")
    .description("Run config-driven machine-learning workflows built from swappable components.")
    .version(cliVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError("(run lolpop --help for usage)");

  program
    .command("validate")
    .description("Check a workflow config against the installed plugins (nothing runs, nothing is written)")
    .argument("[config]", CONFIG_ARG_HELP)
    .option("--set <path=value>", SET_HELP, collectSet, [])
    .option(
      "--tests <file>",
      "also check the workflow tests of this file (as `lolpop test --tests` reads them)",
    )
    .option("--json", "print the result as JSON")
    .action((config: string | undefined, opts: ValidateOptions) => validateCommand(config, opts, write));

  program
    .command("run")
    .description("Run a workflow (default: all steps)")
    .argument("[config]", CONFIG_ARG_HELP)
    .option("--set <path=value>", SET_HELP, collectSet, [])
    .option("--step <step>", "the steps to run: process | train | deploy | predict | evaluate | all", "all")
    .addHelpText("after", STEP_HELP)
    .option(
      "--json",
      "print the summary as JSON on stdout ({ok, ...summary, lineage}, or {ok: false, summary, error, lineage})",
    )
    .option(
      "--force",
      "register the challenger even when a version with the same data, config and seeds exists",
    )
    .option(
      "--orchestrator <name>",
      "where the steps run: in-process (default) or an installed orchestrator such as temporal (default: the config's orchestrator:)",
    )
    .option(
      "--reproduce <run-id>",
      "run again the workflow run <run-id> with its recorded config, data and code (refused when something differs, see --allow-drift)",
    )
    .option(
      "--allow-drift",
      "with --reproduce: run even when data, code, plugins or secrets differ (and say what)",
    )
    .option(
      "--no-cache",
      "run every step: take nothing from the step cache (fresh outputs are still recorded for later runs)",
    )
    .action(
      async (
        config: string | undefined,
        opts: {
          step: string;
          json?: boolean;
          force?: boolean;
          cache?: boolean;
          orchestrator?: string;
          set: string[];
          reproduce?: string;
          allowDrift?: boolean;
        },
      ) => {
        checkStep(opts.step);
        const { openProject } = await import("./project.js");
        const { prepareRunReproduction } = await import("./reproduce.js");
        const reproduction = await prepareRunReproduction(config, opts);
        const loaded = reproduction?.loaded ?? (await openProject(config, { overrides: opts.set }));
        // The step to run: the recorded run's with --reproduce.
        const step = reproduction?.step ?? opts.step;
        const { IN_PROCESS } = await import("./orchestrators.js");
        const orchestrator = opts.orchestrator ?? loaded.plan.orchestrator?.type;
        if (orchestrator !== undefined && !IN_PROCESS.includes(orchestrator)) {
          if (reproduction) {
            await reproduction.cleanup();
            throw new ExitError(
              2,
              `--reproduce runs in-process: add --orchestrator in-process (the recorded config names ${orchestrator})`,
            );
          }
          if (opts.cache === false)
            throw new ExitError(
              2,
              `--no-cache is not supported with the ${orchestrator} orchestrator yet: set cache: false in the config of the process and train pipelines instead`,
            );
          exitCode = await runOrchestrated(loaded, opts);
          return;
        }
        const { createLogger, partialRunOf, stripControlChars } = await import("@lolpop/core");
        const { renderRunFailed, renderRunSucceeded } = await import("./summary.js");
        const { createProgress, progressEnabled } = await import("./progress.js");
        let built: Workflow | undefined;
        const delay = process.env.LOLPOP_PROGRESS_DELAY_MS;
        const progress = progressEnabled(process.stderr)
          ? createProgress({
              stream: process.stderr,
              // Steps whose outputs came from the step cache (the run's lineage records them).
              cached: () => {
                const rec = (built?.lineage().extra?.step_cache ?? {}) as Record<
                  string,
                  { cached_from?: string }
                >;
                return Object.keys(rec).filter((k) => rec[k]?.cached_from);
              },
              ...(delay && Number.isFinite(Number(delay)) ? { delayMs: Number(delay) } : {}),
            })
          : undefined;
        // Tells components that draw their own progress bar (tfjs) to log instead.
        if (progress) process.env.LOLPOP_PROGRESS_LINE = "1";
        // The run's log is kept with its workflow run (log.jsonl) whether it succeeds or fails.
        const { runLogCollector, saveRunLog } = await import("./run-log.js");
        const runLog = runLogCollector();
        const logger = createLogger({
          level: process.env.LOLPOP_LOG_LEVEL ? undefined : "info",
          sinks: [runLog.sink],
          ...(progress ? { stream: progress.logStream } : {}),
        });
        try {
          const { workflow, result } = await runStep(loaded, {
            step,
            json: opts.json,
            logger,
            ...(progress ? { middlewares: [progress.middleware] } : {}),
            ...(opts.force || opts.cache === false
              ? {
                  args: [
                    {
                      ...(opts.force ? { force: true } : {}),
                      ...(opts.cache === false ? { cache: false } : {}),
                    },
                  ],
                }
              : {}),
            built: (wf) => {
              built = wf;
            },
          });
          const summary = result as Record<string, unknown>;
          progress?.stop();
          const { afterRun } = await import("./reproduce.js");
          const notes = await afterRun(loaded, workflow, summary, reproduction, step);
          const logNote = await saveRunLog(
            loaded,
            workflow,
            typeof summary.run_id === "string" ? summary.run_id : undefined,
            runLog,
          );
          if (logNote) notes.push(logNote);
          write(renderRunSucceeded(summary, { json: opts.json, lineage: workflow.lineage() }));
          if (notes.length)
            (opts.json ? process.stderr : process.stdout).write(`${stripControlChars(notes.join("\n"))}\n`);
        } catch (e) {
          progress?.stop();
          // Whatever step failed, say what was done before it (runs, registered version, promotion).
          const partial = partialRunOf(e);
          if (partial) {
            const runId = partial.summary.run_id;
            if (built) await saveRunLog(loaded, built, typeof runId === "string" ? runId : undefined, runLog);
            write(renderRunFailed(e, await describeError(e), { json: opts.json, lineage: built?.lineage() }));
          }
          throw e;
        } finally {
          await reproduction?.cleanup();
        }
      },
    );

  program
    .command("test")
    .description(
      "Run the workflow with the hooks of its tests: section and report each hook; a failing hook fails the command (exit 1)",
    )
    .argument("[config]", CONFIG_ARG_HELP)
    .option("--set <path=value>", SET_HELP, collectSet, [])
    .option("--tests <file>", "a YAML file with the tests: section (default: the config's own)")
    .option("--step <step>", "the steps to run: process | train | deploy | predict | evaluate | all", "all")
    .addHelpText("after", STEP_HELP)
    .option("--json", "print the report as JSON on stdout")
    .option(
      "--store <store>",
      "scratch: run on a temporary copy of the store and predictions, leaving them untouched (default); live: register, promote and predict in the project's store",
      "scratch",
    )
    .action(
      async (
        config: string | undefined,
        opts: { step: string; json?: boolean; tests?: string; set: string[]; store: string },
      ) => {
        exitCode = await testCommand(config, opts);
      },
    );

  const plugins = program.command("plugins").description("Inspect the plugins installed in this project");
  plugins
    .command("list")
    .description("Every discovered plugin with its version, types, status and location (no plugin code runs)")
    .option("-c, --config <file>", "config whose plugins: list applies (default: lolpop.yaml if present)")
    .option("--json", "print as JSON")
    .action(async (opts: { config?: string; json?: boolean }) => {
      await listCommand(opts);
    });
  plugins
    .command("info")
    .description("A plugin's components and their config keys (type, default, description)")
    .argument("<name>", "package name, or a short name such as local for @lolpop/local")
    .option("-c, --config <file>", "config whose plugins: list applies (default: lolpop.yaml if present)")
    .option("--json", "print as JSON")
    .action(async (name: string, opts: { config?: string; json?: boolean }) => {
      const d = await discoverHere(opts.config);
      const p = findPlugin(d, name);
      if (!p)
        throw new ExitError(
          2,
          `no plugin "${name}" in this project (installed: ${d.plugins.map((x) => x.name).join(", ") || "none"})`,
        );
      if (p.status !== "ok")
        throw new ExitError(1, `${p.name} is ${p.status}: ${p.error}${p.fix ? `\n  fix: ${p.fix}` : ""}`);
      const { componentInfos } = await import("./loader.js");
      let infos: ComponentInfo[];
      try {
        infos = await componentInfos(p);
      } catch (e) {
        throw new ExitError(1, `${(e as Error).message}`);
      }
      write(opts.json ? JSON.stringify(infoJson(p, infos)) : renderInfo(p, infos));
    });

  program
    .command("schema")
    .description(
      "One JSON Schema for lolpop.yaml from the installed plugins (for editors: yaml-language-server)",
    )
    .option("-c, --config <file>", "config whose plugins: list applies (default: lolpop.yaml if present)")
    .option("-o, --out <file>", "write to this file instead of stdout")
    .action(async (opts: { config?: string; out?: string }) => {
      exitCode = await schemaCommand(opts);
    });

  program
    .command("init")
    .description("Create a new lolpop project (package.json, lolpop.yaml, sample data script, tests, README)")
    .argument("[dir]", "folder of the new project", ".")
    .option("-t, --template <template>", TEMPLATES.join(" | "), "classification")
    .option("--name <name>", "package name (default: the folder's name)")
    .option("--force", "overwrite existing files")
    .action(async (dir: string, opts: { template: string; name?: string; force?: boolean }) => {
      if (!(TEMPLATES as readonly string[]).includes(opts.template))
        throw new ExitError(2, `--template must be one of ${TEMPLATES.join(", ")} (got "${opts.template}")`);
      const { initProject } = await import("./init.js");
      let made: { dir: string; files: string[] };
      try {
        made = initProject({ dir, template: opts.template as Template, name: opts.name, force: opts.force });
      } catch (e) {
        throw new ExitError(2, (e as Error).message);
      }
      const rel = relative(process.cwd(), made.dir) || ".";
      write(
        `created a ${opts.template} project in ${made.dir}:\n${made.files.map((f) => `  ${f}`).join("\n")}\n\nnext:\n${rel === "." ? "" : `  cd ${rel}\n`}  npm install\n  npm run prepare-data\n  npx lolpop run\n  npx lolpop test`,
      );
    });

  const create = program
    .command("create")
    .description("Create a plugin package, or a component, pipeline or runner inside this project");
  create
    .command("plugin")
    .description(
      "A third-party plugin package: manifest, self-registering entry, an example trainer, tests, build",
    )
    .argument("<name>", "npm package name, e.g. lolpop-plugin-knn or @acme/lolpop-knn")
    .option("--dir <dir>", "target folder (default: the name without its scope)")
    .option("--type <Type>", "type name of the example trainer (default: from the name)")
    .option("--force", "overwrite existing files")
    .action(async (name: string, opts: { dir?: string; type?: string; force?: boolean }) => {
      const { createPlugin } = await import("./create.js");
      let made: ReturnType<typeof createPlugin>;
      try {
        made = createPlugin({ name, dir: opts.dir, type: opts.type, force: opts.force });
      } catch (e) {
        throw new ExitError(2, (e as Error).message);
      }
      write(
        `created plugin ${name} (${made.type}) in ${made.dir}:\n${made.files.map((f) => `  ${f}`).join("\n")}\n\nnext:\n  cd ${relative(process.cwd(), made.dir) || "."}\n  npm install\n  npm run build\n  npm test`,
      );
    });
  for (const what of ["component", "pipeline", "runner"] as const) {
    const cmd = create
      .command(what)
      .description(`A ${what} in this project's own plugin package (extensions/), discovered like any plugin`)
      .argument("<Type>", "PascalCase type name, e.g. MyDataTransformer")
      .option("--folder <folder>", "the project's plugin folder", "extensions")
      .option("--force", "overwrite an existing type of that name");
    if (what === "component")
      cmd
        .requiredOption(
          "--kind <kind>",
          "component kind core defines: data_connector, data_transformer, model_trainer, notifier... (`lolpop plugins list` shows them)",
        )
        .option("--new-kind", "--kind is a new kind that your own pipelines look up, not one core defines");
    cmd.action(
      async (type: string, opts: { kind?: string; newKind?: boolean; folder: string; force?: boolean }) => {
        const { createInProject } = await import("./create.js");
        let made: ReturnType<typeof createInProject>;
        try {
          made = createInProject({
            what,
            type,
            kind: opts.kind,
            newKind: opts.newKind,
            folder: opts.folder,
            force: opts.force,
          });
        } catch (e) {
          throw new ExitError(2, (e as Error).message);
        }
        write(
          `created ${type} in ${made.file}\n${made.packageName} (file:./${opts.folder}) is a dependency of ${made.root}/package.json, so lolpop discovers it; use ${type} in lolpop.yaml.`,
        );
      },
    );
  }

  program
    .command("doctor")
    .description(
      "Check Node, @lolpop/core copies, plugins, the config (every check of validate), the data files it reads, what its components need on this machine (e.g. a tfjs backend), Python modules and configured servers; prints a fix for each problem",
    )
    .argument("[config]", "path of the workflow config (default: lolpop.yaml if present)")
    .option("--json", "print as JSON")
    .action(async (config: string | undefined, opts: { json?: boolean }) => {
      const { renderDoctor, runDoctor } = await import("./doctor.js");
      const file = findConfig(config);
      const d = await discoverHere(config);
      const report = await runDoctor({ discovery: d, cli: cliInfo(), configFile: file });
      write(
        opts.json ? JSON.stringify({ ...report, project: d.root, cli: cliInfo() }) : renderDoctor(report),
      );
      exitCode = report.ok ? 0 : 1;
    });

  // The model-store commands (models, gc, runs, lineage, predict) load unless the command is one
  // defined above: `lolpop validate` and `run` start without them.
  const invoked = argv.slice(2).find((a) => !a.startsWith("-"));
  const storeCommands =
    !invoked ||
    !["run", "validate", "test", "plugins", "schema", "init", "create", "doctor"].includes(invoked);
  const groups: Record<string, import("commander").Command> = {};
  if (storeCommands) {
    // Model lifecycle: `models` is a group other commands add to (e.g. `models export`).
    const { addModelsCommands } = await import("./models-command.js");
    const { addGcCommand } = await import("./gc-command.js");
    const setExitCode = (code: number) => {
      exitCode = code;
    };
    const models = addModelsCommands(program, setExitCode);
    const { addModelsExportCommand } = await import("./models-export.js");
    addModelsExportCommand(models, setExitCode);
    addGcCommand(program, setExitCode);

    const { registerStoreCommands } = await import("./store-commands.js");
    groups.runs = registerStoreCommands(program, {
      write,
      exit: (code) => {
        exitCode = code;
      },
      setHelp: SET_HELP,
      collectSet,
    });
  }

  // Commands from plugins: listed in --help from the manifests, imported only when invoked. A name
  // "group sub" (e.g. "runs attach") is a subcommand of that built-in group.
  const first = argv.slice(2).find((a) => !a.startsWith("-"));
  if (!first || !BUILTIN_COMMANDS.includes(first) || EXTENSIBLE_GROUPS[first]) {
    const root = findPackageRoot(process.cwd()) ?? process.cwd();
    let specs: ReturnType<typeof discoverProject>["commands"] = [];
    try {
      specs = discoverProject({ root, cliDir: cliPackageDir() }).commands;
    } catch {
      specs = [];
    }
    for (const spec of specs) {
      // `runs attach`: the subcommand `attach` of the group `runs` — a built-in group that takes
      // plugin subcommands, or a group a plugin makes (never another built-in command).
      const [group, sub] = spec.name.split(" ");
      const parent =
        sub === undefined
          ? program
          : (groups[group!] ??
            (BUILTIN_COMMANDS.includes(group!)
              ? undefined
              : (program.commands.find((c) => c.name() === group) ??
                program.command(group!).description(`${group} commands`).helpGroup("Plugin commands:"))));
      if (!parent) continue;
      parent
        .command(sub ?? spec.name)
        .description(`${spec.description || "(no description)"} [${spec.plugin}]`)
        .helpGroup("Plugin commands:")
        .argument("[args...]", "arguments for the command")
        .allowUnknownOption()
        .helpOption(false)
        .action(async (args: string[]) => {
          const { runPluginCommand } = await import("./plugin-commands.js");
          exitCode = await runPluginCommand(spec, args ?? [], root);
        });
    }
  }

  try {
    await program.parseAsync(argv);
  } catch (e) {
    exitCode = await exitCodeOf(e, (x): x is { exitCode: number } => x instanceof CommanderError);
  }
  return exitCode;
}
