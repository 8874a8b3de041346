/**
 * Keeping credentials out of everything @lolpop/genai writes: logs, errors, previews and the model's
 * own answers (a server that echoes the key must not get it into a generated file).
 */
import { REDACTED, redactText, registerSecret } from "@lolpop/core";

/**
 * Returns a function that replaces each of `secrets` (and every secret registered with
 * `registerSecret` in this process) by `***`. The given secrets are registered too, so loggers of
 * `@lolpop/core` scrub them from any line.
 */
export function createScrubber(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const own = secrets.filter((s): s is string => typeof s === "string" && s.length > 0);
  for (const s of own) registerSecret(s);
  // Longest first, so a secret containing another is replaced whole; also short ones (registerSecret
  // ignores values under 4 characters, an explicit key is scrubbed whatever its length).
  const sorted = [...new Set(own)].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const s of sorted) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return redactText(out);
  };
}
