import { stripControlChars } from "./kit/terminal-text.js";
import { redactText } from "./redact.js";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured fields attached to a log line. Must not carry secrets (text is scrubbed anyway). */
export type LogFields = Record<string, unknown>;

/** A structured logger. Every line is scrubbed of registered secret values. */
export interface Logger {
  /** The minimum level written. */
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Writes at `level`. */
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level. Default: `LOLPOP_LOG_LEVEL` or `info`. */
  level?: LogLevel;
  /** `pretty` for people (control characters stripped from messages and fields), `json` for JSON lines, `auto` (default): pretty on a TTY, else JSON (`LOLPOP_LOG_FORMAT` overrides). */
  format?: "pretty" | "json" | "auto";
  /** Where lines go. Default: `process.stderr`. */
  stream?: { write(chunk: string): unknown; isTTY?: boolean };
  /** Colors in pretty output. Default: on for a TTY unless `NO_COLOR` is set (any value) or `FORCE_COLOR=0`. */
  color?: boolean;
  /** Extra sinks called with each line (e.g. a `logger` component). */
  sinks?: Array<(line: LogRecord) => void>;
}

/** One log line as handed to sinks and written as JSON. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

const COLORS: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

function isLevel(v: unknown): v is LogLevel {
  return typeof v === "string" && v in LEVELS;
}

/** Creates a logger writing pretty lines on a TTY and JSON lines otherwise. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = process.env;
  const stream = options.stream ?? process.stderr;
  const level: LogLevel = options.level ?? (isLevel(env.LOLPOP_LOG_LEVEL) ? env.LOLPOP_LOG_LEVEL : "info");
  const envFormat =
    env.LOLPOP_LOG_FORMAT === "json" || env.LOLPOP_LOG_FORMAT === "pretty"
      ? env.LOLPOP_LOG_FORMAT
      : undefined;
  const requested = options.format && options.format !== "auto" ? options.format : (envFormat ?? "auto");
  const format = requested === "auto" ? (stream.isTTY ? "pretty" : "json") : requested;
  const color =
    options.color ?? (Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.FORCE_COLOR !== "0");
  const sinks = options.sinks ?? [];

  const make = (bound: LogFields): Logger => {
    const write = (lvl: LogLevel, message: string, fields?: LogFields) => {
      if (LEVELS[lvl] < LEVELS[level]) return;
      const record: LogRecord = {
        time: new Date().toISOString(),
        level: lvl,
        msg: redactText(message),
        ...scrub({ ...bound, ...fields }),
      };
      for (const sink of sinks) sink(record);
      if (format === "json") {
        stream.write(`${JSON.stringify(record)}\n`);
        return;
      }
      const { time, level: l, msg: raw, ...rest } = record;
      // Pretty lines go to a terminal: data-derived text loses its control characters there.
      const msg = stripControlChars(raw);
      const extras = stripControlChars(
        Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" "),
        { newlines: false },
      );
      const tag = l.toUpperCase().padEnd(5);
      const head = color ? `${COLORS[l]}${tag}\x1b[0m` : tag;
      const dim = (s: string) => (color ? `\x1b[90m${s}\x1b[0m` : s);
      stream.write(`${dim(time.slice(11, 23))} ${head} ${msg}${extras ? ` ${dim(extras)}` : ""}\n`);
    };
    return {
      level,
      debug: (m, f) => write("debug", m, f),
      info: (m, f) => write("info", m, f),
      warn: (m, f) => write("warn", m, f),
      error: (m, f) => write("error", m, f),
      log: (l, m, f) => write(l, m, f),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}

function scrub(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] =
      typeof v === "string"
        ? redactText(v)
        : v instanceof Error
          ? redactText(v.message)
          : typeof v === "object" && v !== null
            ? JSON.parse(redactText(JSON.stringify(v)))
            : v;
  }
  return out;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = createLogger({
  stream: { write: () => true },
  level: "error",
  format: "json",
});
