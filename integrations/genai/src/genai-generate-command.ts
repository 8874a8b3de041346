/**
 * `lolpop generate docs|tests <target>`: the plugin command of @lolpop/genai (listed in its
 * package.json manifest; the lolpop CLI imports this module only when the command runs).
 *
 * Provider settings come from the command line, else from `lolpop.genai.yaml` in the project
 * (or the file given with `--settings`), else the local default model:
 *
 * ```yaml
 * # lolpop.genai.yaml
 * provider: openai-compatible
 * base_url: http://127.0.0.1:11434/v1
 * model: qwen2.5-coder:7b
 * api_key_env: OPENAI_API_KEY   # the key is read from this variable, never from the file
 * ```
 *
 * Exit codes: 0 done (or nothing to do), 1 the model or the generated tests failed, 2 usage or setup.
 */
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { defineCommand, type PluginCommandContext } from "@lolpop/core/manifest";
import { parseDocument } from "yaml";
import { type GenerateHost, renderOutcome, runGenerate } from "./genai-generate.js";
import { GenaiSetupError } from "./genai-setup-error.js";

/** The settings file read when present in the project root. */
export const GENAI_SETTINGS_FILE = "lolpop.genai.yaml";

/** `lolpop generate --help`. */
export const GENERATE_HELP = `Usage: lolpop generate docs|tests <target> [options]

Generate documentation or tests with a language model. Only code, config schemas and config are
sent (secret values replaced by <secret>), never data rows. Changes are shown as a diff and written
only with --write.

  docs <Type>        doc comment above the definition + a marked section in the package README
  docs <plugin>      the same for every type of a plugin package ("." = this package)
  docs workflow      a marked section in the README next to lolpop.yaml (or docs path/to/lolpop.yaml)
  tests <Type>       <source>.genai.test.ts next to the component: lolpop's conformance suite plus
                     config cases the model proposes; type-checked and run before it is offered,
                     failing cases are dropped and reported
  tests <plugin>     the same for every component of a plugin package
  tests workflow     hooks for lolpop test (lolpop.genai-tests.yaml + tests/genai-hooks.mjs): the
                     model picks calls and checks from fixed lists; run with lolpop test before they
                     are offered, hooks that fail or never run are dropped and reported

Options:
  --provider <name>  local (default: a GGUF model in this process) or openai-compatible
  --model <name>     openai-compatible: the model id; local: a GGUF file (default Gemma 3 270M)
  --base-url <url>   openai-compatible: the API root, e.g. http://127.0.0.1:11434/v1
  --settings <file>  provider settings (YAML); default ${GENAI_SETTINGS_FILE} in the project when present
  -c, --config <file>  the workflow config (default lolpop.yaml); its plugins: list applies
  --max-cases <n>    tests: most config cases (or workflow hooks) asked of the model (default 6)
  --dry-run          print the exact prompt and request instead of sending anything
  --write            apply the changes (default: show the diff only)
  --json             print the outcome as JSON on stdout
  -h, --help         show this help

The API key of an openai-compatible server is read from OPENAI_API_KEY (or the variable named by
api_key_env in the settings file). Local model: LOLPOP_MODEL_CACHE (model cache folder),
LOLPOP_GENAI_THREADS (CPU threads).
Exit codes: 0 done, 1 the model or the generated tests failed, 2 usage or setup error.
`;

/** Parsed command line. */
export interface GenerateArgs {
  what: "docs" | "tests";
  target: string;
  provider?: string;
  model?: string;
  baseUrl?: string;
  settings?: string;
  config?: string;
  maxCases?: number;
  dryRun: boolean;
  write: boolean;
  json: boolean;
}

function usageError(message: string): GenaiSetupError {
  return new GenaiSetupError({
    message: `${message} (run lolpop generate --help for usage)`,
    code: "genai_usage",
  });
}

/** Parses the arguments after `generate`; `help` when `--help` was asked for. */
export function parseGenerateArgs(args: string[]): GenerateArgs | "help" {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    throw usageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
  const v = parsed.values;
  if (v.help) return "help";
  const [what, target, ...extra] = parsed.positionals;
  if (what !== "docs" && what !== "tests")
    throw usageError(
      what === undefined
        ? "say what to generate: docs or tests"
        : `unknown subcommand "${what}": docs or tests`,
    );
  if (!target)
    throw usageError(`lolpop generate ${what} needs a target: a type name, a plugin package or "workflow"`);
  if (extra.length) throw usageError(`one target at a time (got also ${extra.join(" ")})`);
  if (v.provider !== undefined && v.provider !== "local" && v.provider !== "openai-compatible")
    throw usageError(`--provider must be local or openai-compatible (got "${v.provider}")`);
  if (v["dry-run"] && v.write) throw usageError("--dry-run and --write exclude each other");
  const maxCases = v["max-cases"] === undefined ? undefined : Number(v["max-cases"]);
  if (maxCases !== undefined && !(Number.isInteger(maxCases) && maxCases >= 1 && maxCases <= 20))
    throw usageError(`--max-cases must be a whole number from 1 to 20 (got "${v["max-cases"]}")`);
  return {
    what,
    target,
    ...(v.provider ? { provider: v.provider } : {}),
    ...(v.model ? { model: v.model } : {}),
    ...(v["base-url"] ? { baseUrl: v["base-url"] } : {}),
    ...(v.settings ? { settings: v.settings } : {}),
    ...(v.config ? { config: v.config } : {}),
    ...(maxCases !== undefined ? { maxCases } : {}),
    dryRun: !!v["dry-run"],
    write: !!v.write,
    json: !!v.json,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      provider: { type: "string" },
      model: { type: "string" },
      "base-url": { type: "string" },
      settings: { type: "string" },
      config: { type: "string", short: "c" },
      "max-cases": { type: "string" },
      "dry-run": { type: "boolean" },
      write: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/**
 * The provider settings of a run: the settings file (`--settings`, else `lolpop.genai.yaml` in the
 * project root when present), with `--provider`, `--model` and `--base-url` on top. A `--provider`
 * other than the file's starts from the command line alone. Default: the local provider.
 */
export function generateSettings(
  a: Pick<GenerateArgs, "provider" | "model" | "baseUrl" | "settings">,
  where: { cwd: string; projectRoot: string },
): { settings: Record<string, unknown>; where: string } {
  const file = a.settings
    ? resolve(where.cwd, a.settings)
    : existsSync(resolve(where.projectRoot, GENAI_SETTINGS_FILE))
      ? resolve(where.projectRoot, GENAI_SETTINGS_FILE)
      : undefined;
  let fromFile: Record<string, unknown> = {};
  const label = file ? relative(where.cwd, file) || file : "the command line";
  if (file) {
    if (!existsSync(file)) throw usageError(`--settings: no file at ${file}`);
    const doc = parseDocument(readFileSync(file, "utf8"));
    const err = doc.errors[0];
    if (err)
      throw new GenaiSetupError({
        message: `${label}:${err.linePos?.[0]?.line ?? 1}: ${err.message.split("\n")[0]}`,
        code: "genai_settings_invalid",
      });
    const data = doc.toJS() as unknown;
    if (data !== null && data !== undefined) {
      if (typeof data !== "object" || Array.isArray(data))
        throw new GenaiSetupError({
          message: `${label}: must be a mapping of provider settings (provider: local or openai-compatible, ...)`,
          code: "genai_settings_invalid",
        });
      fromFile = data as Record<string, unknown>;
    }
  }
  const provider = a.provider ?? (fromFile.provider as string | undefined) ?? "local";
  const settings: Record<string, unknown> =
    provider === (fromFile.provider ?? "local") ? { ...fromFile } : {};
  settings.provider = provider;
  if (a.model !== undefined) {
    if (provider === "local") settings.model_path = resolve(where.cwd, a.model);
    else settings.model = a.model;
  }
  if (a.baseUrl !== undefined) {
    if (provider === "local") throw usageError("--base-url is for --provider openai-compatible");
    settings.base_url = a.baseUrl;
  }
  return { settings, where: label };
}

/** Runs `generate` with a plugin command's context; returns the exit code. */
export async function generateCommand(args: string[], ctx: PluginCommandContext): Promise<number> {
  const json = args.includes("--json");
  const fail = (code: number, message: string) => {
    if (json) ctx.stdout(`${JSON.stringify({ ok: false, error: message })}\n`);
    else ctx.stderr(`lolpop generate: ${message}\n`);
    return code;
  };
  try {
    const a = parseGenerateArgs(args);
    if (a === "help") {
      ctx.stdout(GENERATE_HELP);
      return 0;
    }
    if (!ctx.discoverPlugins)
      return fail(2, "this lolpop does not offer plugin discovery to commands: upgrade @lolpop/cli");
    const { settings, where } = generateSettings(a, ctx);
    const host: GenerateHost = {
      cwd: ctx.cwd,
      projectRoot: ctx.projectRoot,
      discoverPlugins: ctx.discoverPlugins,
      stdout: ctx.stdout,
      stderr: ctx.stderr,
    };
    const outcome = await runGenerate(
      {
        what: a.what,
        target: a.target,
        settings,
        settingsWhere: where,
        ...(a.config ? { config: a.config } : {}),
        ...(a.maxCases !== undefined ? { maxCases: a.maxCases } : {}),
        dryRun: a.dryRun,
        write: a.write,
        json: a.json,
      },
      host,
    );
    ctx.stdout(a.json ? `${JSON.stringify(outcome, null, 2)}\n` : renderOutcome(outcome));
    return outcome.ok ? 0 : 1;
  } catch (e) {
    const { redactText } = await import("@lolpop/core");
    const message = redactText(e instanceof Error ? e.message : String(e));
    return fail(GenaiSetupError.isInstance(e) ? 2 : 1, message);
  }
}

export default defineCommand(generateCommand);
