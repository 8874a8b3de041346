/**
 * Text bound for a terminal. Data-derived text (column names, category values, file contents in
 * error messages) can hold control characters: an escape sequence in a column name clears the
 * screen or sets the window title when it is printed raw. Every writer that prints such text on a
 * terminal (the CLI, the pretty logger, `StdoutNotifier`) passes it through {@link stripControlChars}.
 */

// C0 controls except tab and newline, DEL, C1 controls (0x80-0x9f: 0x9b is a one-byte CSI), and
// the bidirectional overrides and isolates that reorder what a terminal shows.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// Whole escape sequences, so their printable tail ("[2J", "]0;title") goes too: CSI, OSC (ended by
// BEL or ST), and two-character escapes.
const OSC_TAIL = "[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?";
const SEQUENCE = new RegExp(
  [
    "\\u001b\\[[0-?]*[ -/]*[@-~]",
    "\\u009b[0-?]*[ -/]*[@-~]",
    `\\u001b\\]${OSC_TAIL}`,
    `\\u009d${OSC_TAIL}`,
    "\\u001b[@-Z\\\\-_]",
  ].join("|"),
  "g",
);

const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Options of {@link stripControlChars}. */
export interface StripControlOptions {
  /** Keep line breaks (`\n`). Default true; false turns each into a space (one-line cells, names). */
  newlines?: boolean;
}

/**
 * Removes terminal escape sequences and control characters from `text`, keeping tabs and (by
 * default) newlines. `\r` is removed too: it would let a later part of the text overwrite the line.
 */
export function stripControlChars(text: string, options: StripControlOptions = {}): string {
  let out = text.replace(SEQUENCE, "").replace(CONTROL, "");
  if (options.newlines === false) out = out.replace(/\n/g, " ");
  return out;
}

/**
 * JSON text safe to print on a terminal: `JSON.stringify` escapes C0 controls, this also escapes
 * DEL, C1 controls and bidirectional overrides as `\uXXXX` (the JSON value is unchanged).
 */
export function terminalJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
