import { instantiateComponent, type Notifier, registerSecret } from "@lolpop/core";
import { formatNotification, stdoutNotifier } from "./stdout-notifier.js";

let lines: string[];
const realWrite = process.stdout.write;

beforeEach(() => {
  lines = [];
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
});
afterEach(() => {
  process.stdout.write = realWrite;
});

const make = async (config: Record<string, unknown> = {}) =>
  (await instantiateComponent(stdoutNotifier, { config })) as Notifier;

describe("StdoutNotifier", () => {
  it("prints one `[lolpop] LEVEL message` line per notification, info by default", async () => {
    const n = await make();
    await n.notify("model approved");
    await n.notify("drift found", "warn", { drift_share: 0.4 });
    await n.notify("deploy failed", "error");
    expect(lines).toEqual([
      "[lolpop] INFO model approved\n",
      '[lolpop] WARN drift found {"drift_share":0.4}\n',
      "[lolpop] ERROR deploy failed\n",
    ]);
  });

  it("drops notifications under min_level and uses the configured prefix", async () => {
    const n = await make({ min_level: "warn", prefix: "[ci]" });
    await n.notify("quiet", "info");
    await n.notify("loud", "warn");
    await n.notify("louder", "error");
    expect(lines).toEqual(["[ci] WARN loud\n", "[ci] ERROR louder\n"]);
    const bare = await make({ prefix: "" });
    await bare.notify("x");
    expect(lines.at(-1)).toBe("INFO x\n");
  });

  it("scrubs secrets from the message and the details", async () => {
    registerSecret("s3cr3t-token-value");
    const n = await make();
    await n.notify("login with s3cr3t-token-value failed", "error", {
      url: "https://u:s3cr3t-token-value@host",
      password: "plain-pw",
      n: 1,
    });
    expect(lines[0]).not.toContain("s3cr3t-token-value");
    expect(lines[0]).not.toContain("plain-pw");
    expect(lines[0]).toBe(
      '[lolpop] ERROR login with *** failed {"url":"https://u:***@host","password":"***","n":1}\n',
    );
  });

  it("validates its config", async () => {
    await expect(make({ min_level: "debug" })).rejects.toThrow(/min_level/);
    await expect(make({ colour: true })).rejects.toThrow();
  });

  it("indents continuation lines of multi-line messages", () => {
    expect(formatNotification("[lolpop]", "warn", "two\nlines")).toBe("[lolpop] WARN two\n    lines");
  });

  it("strips escape sequences and control characters that data put in the message or the details", () => {
    const hostile = "city\u001b[2J\u001b]0;pwned\u0007\u009b2J\r";
    const line = formatNotification("[lolpop]", "warn", `drift in ${hostile}`, { [hostile]: `v${hostile}` });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    // The message loses whole sequences; the details stay JSON with the controls escaped (inert).
    const [message, details] = line.split(" {");
    expect(message).toBe("[lolpop] WARN drift in city");
    expect(JSON.parse(`{${details}`)).toEqual({ [hostile]: `v${hostile}` });
  });
});
