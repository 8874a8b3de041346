/**
 * `StdoutNotifier`: prints notifications as lines on standard output, e.g.
 * `[lolpop] WARN model drift on test split {"drift_share":0.4}`. Registered secret values are
 * scrubbed from the message and the details. Messages often carry data-derived text (column names,
 * values): escape sequences and control characters are removed from the message, and escaped in
 * the details' JSON, so nothing from the data reaches the terminal raw.
 */
import {
  defineComponent,
  type JsonSchema,
  type Notifier,
  redactText,
  redactValue,
  stripControlChars,
  terminalJson,
} from "@lolpop/core";

/** Notification levels, lowest first. */
export type NotifyLevel = "info" | "warn" | "error";

const LEVELS: Record<NotifyLevel, number> = { info: 10, warn: 20, error: 30 };

/** Config of {@link stdoutNotifier}. */
export interface StdoutNotifierConfig {
  /** Lowest level printed. Default `info`. */
  min_level: NotifyLevel;
  /** Text at the start of every line. Default `[lolpop]`. */
  prefix: string;
}

/** Formats one notification line (without the newline); secrets are scrubbed, control characters stripped. */
export function formatNotification(
  prefix: string,
  level: NotifyLevel,
  message: string,
  details?: Record<string, unknown>,
): string {
  let extra = "";
  if (details && Object.keys(details).length > 0) {
    try {
      extra = ` ${terminalJson(redactValue(details))}`;
    } catch {
      extra = " [details not serializable]";
    }
  }
  // Continuation lines are indented so every notification stays one visual block.
  const body = redactText(`${stripControlChars(message)}${extra}`).replace(/\r?\n/g, "\n    ");
  return `${prefix ? `${prefix} ` : ""}${level.toUpperCase()} ${body}`;
}

/** A notifier writing to standard output. */
export type StdoutNotifier = Notifier;

/** JSON Schema of {@link stdoutNotifier}'s config. */
export const stdoutNotifierConfigSchema: JsonSchema = {
  type: "object",
  properties: {
    min_level: { enum: ["info", "warn", "error"], description: "Lowest level printed.", default: "info" },
    prefix: { type: "string", description: "Text at the start of every line.", default: "[lolpop]" },
  },
  additionalProperties: false,
};

/**
 * `StdoutNotifier` (kind `notifier`): writes `<prefix> LEVEL message {details}` lines to stdout
 * for notifications at or above `min_level`, with registered secrets replaced by `***`.
 */
export const stdoutNotifier = defineComponent<"notifier", StdoutNotifierConfig>({
  kind: "notifier",
  type: "StdoutNotifier",
  description: "Prints notifications as lines on standard output",
  configSchema: stdoutNotifierConfigSchema,
  create: (ctx): StdoutNotifier => {
    const min = LEVELS[ctx.config.min_level] ?? LEVELS.info;
    return {
      async notify(message, level = "info", details) {
        const lvl: NotifyLevel = level in LEVELS ? level : "info";
        if (LEVELS[lvl] < min) return;
        process.stdout.write(`${formatNotification(ctx.config.prefix, lvl, String(message), details)}\n`);
      },
    };
  },
});
