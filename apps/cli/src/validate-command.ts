/**
 * `lolpop validate`: the command's action, and the recognizer of its plain forms that `main` runs
 * without loading the argument parser (commander and its ~120 kB, plus defining every command, are
 * a fifth of a cold `validate`). Anything the recognizer does not fully understand (help, unknown
 * options, `--`, values that start with `-`) goes through commander as before.
 */
import { resolve } from "node:path";
import type { ConfigIssue } from "@lolpop/core";
import { exitCodeOf } from "./exit-code.js";
import { ExitError } from "./format.js";

/** Options of `lolpop validate`. */
export interface ValidateOptions {
  json?: boolean;
  tests?: string;
  set: string[];
}

/**
 * `validate [config] [--json] [--set <path=value>]... [--tests <file>]` recognized without
 * commander: the config and options, or undefined to let commander parse (and report) the rest.
 */
export function fastValidate(args: string[]): { config?: string; opts: ValidateOptions } | undefined {
  if (args[0] !== "validate") return undefined;
  const opts: ValidateOptions = { set: [] };
  let config: string | undefined;
  const value = (v: string | undefined) =>
    v !== undefined && v !== "" && !v.startsWith("-") ? v : undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--json") opts.json = true;
    else if (a === "--set" || a === "--tests") {
      const v = value(args[i + 1]);
      if (v === undefined) return undefined;
      i++;
      if (a === "--set") opts.set.push(v);
      else opts.tests = v;
    } else if (a.startsWith("--set=") || a.startsWith("--tests=")) {
      const v = value(a.slice(a.indexOf("=") + 1));
      if (v === undefined) return undefined;
      if (a.startsWith("--set=")) opts.set.push(v);
      else opts.tests = v;
    } else if (!a.startsWith("-") && config === undefined) config = a;
    else return undefined;
  }
  return config === undefined ? { opts } : { config, opts };
}

/**
 * Validates a project's config (and its workflow tests when it has a `tests:` section or `--tests`
 * is given) and prints the result; config problems are thrown as `ConfigError` (with `--json`,
 * printed as JSON and exit code 2).
 */
export async function validateCommand(
  config: string | undefined,
  opts: ValidateOptions,
  write: (text: string) => void,
): Promise<void> {
  const { ConfigError, loadConfigFile } = await import("@lolpop/core");
  const { openProject } = await import("./project.js");
  try {
    const { plan, pluginFailures: failures } = await openProject(config, {
      overrides: opts.set,
      // Plugins that ship validation data are not imported (their create is never called here).
      describe: true,
    });
    if (plan.orchestrator) {
      const { checkOrchestrator } = await import("./orchestrators.js");
      const { projectPlugins } = await import("./project.js");
      await checkOrchestrator(plan, projectPlugins(plan.source).discovery);
    }
    // The workflow tests (the config's tests: section, or --tests): what `lolpop test` checks first.
    const testsSource = opts.tests ? await loadConfigFile(resolve(opts.tests)) : plan.source;
    if (opts.tests || (plan.source.data as Record<string, unknown> | null)?.tests !== undefined) {
      const { checkTests, throwIssues } = await import("./workflow-test.js");
      const issues: ConfigIssue[] = [];
      await checkTests(plan, testsSource, Boolean(opts.tests), issues);
      throwIssues(issues);
    }
    const result = {
      ok: true,
      file: plan.file,
      runner: plan.runner.type,
      pipelines: plan.pipelines.map((p) => p.type),
      plugins: plan.plugins,
      plugin_errors: failures,
    };
    if (opts.json) write(JSON.stringify(result));
    else
      write(
        `${plan.file}: valid (${plan.runner.type}; pipelines ${plan.pipelines.map((p) => `${p.attr}=${p.type}`).join(", ")})`,
      );
  } catch (e) {
    if (opts.json && ConfigError.isInstance(e)) {
      write(JSON.stringify({ ok: false, issues: e.issues }));
      throw new ExitError(2, "");
    }
    throw e;
  }
}

/**
 * Runs `lolpop validate` when `args` (the arguments after `lolpop`) are one of its plain forms
 * ({@link fastValidate}): prints the result or the error and returns the exit code. Undefined when
 * they are not (commander parses them).
 */
export async function runValidate(
  args: string[],
  write: (text: string) => void,
): Promise<number | undefined> {
  const quick = fastValidate(args);
  if (!quick) return undefined;
  try {
    await validateCommand(quick.config, quick.opts, write);
    return 0;
  } catch (e) {
    return exitCodeOf(e, (_e): _e is { exitCode: number } => false);
  }
}
