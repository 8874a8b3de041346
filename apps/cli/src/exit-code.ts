/**
 * How a command's error ends the process: the message printed on stderr (config issues one per
 * line, a failed step's own error with its call frames; data-derived text redacted and stripped of
 * control characters) and the exit code (2 for config and usage errors, else 1).
 */
import { ExitError } from "./format.js";

/** The text that describes a command's error. */
export async function describeError(e: unknown): Promise<string> {
  const { ComponentCallError, ConfigError, formatConfigIssue, LolpopError, partialRunOf, thrownError } =
    await import("@lolpop/core");
  // A failed run: describe the failing step's own error (with its call frames).
  const partial = partialRunOf(e);
  if (partial && partial.cause !== undefined && partial.cause !== e) return describeError(partial.cause);
  if (ConfigError.isInstance(e)) {
    return e.issues.length === 1
      ? `config error: ${formatConfigIssue(e.issues[0]!)}`
      : `config errors (${e.issues.length}):\n${e.issues.map((i) => `  ${formatConfigIssue(i)}`).join("\n")}`;
  }
  if (ComponentCallError.isInstance(e)) {
    const root = thrownError(e);
    const hint = LolpopError.isInstance(root)
      ? ""
      : root instanceof Error && root.stack && process.env.LOLPOP_DEBUG
        ? `\n${root.stack}`
        : "";
    return `${e.message}\n  at ${e.frames.join(" > ")}${hint}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Prints a command's error on stderr and returns the exit code. */
export async function exitCodeOf(
  e: unknown,
  isCommanderError: (e: unknown) => e is { exitCode: number },
): Promise<number> {
  if (isCommanderError(e)) return e.exitCode === 0 ? 0 : 2;
  if (e instanceof ExitError) {
    if (e.message) process.stderr.write(`lolpop: ${e.message}\n`);
    return e.code;
  }
  const { ConfigError, ModelRefError, partialRunOf, redactText, stripControlChars, thrownError } =
    await import("@lolpop/core");
  // Error messages quote data (column names, values): no escape sequence reaches the terminal.
  process.stderr.write(`lolpop: ${stripControlChars(redactText(await describeError(e)))}\n`);
  // A run that failed on a config error (found by a step) exits like any config error.
  // A malformed model reference (name@alias, name/version) is a usage error too.
  if (ModelRefError.isInstance(e) && e.usage) return 2;
  return ConfigError.isInstance(thrownError(partialRunOf(e)?.cause ?? e)) ? 2 : 1;
}
