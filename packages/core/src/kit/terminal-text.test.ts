import { stripControlChars, terminalJson } from "./terminal-text.js";

describe("stripControlChars", () => {
  it("removes whole escape sequences (clear screen, window title, colors) and control characters", () => {
    const hostile = "city\u001b[2J\u001b[H\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\r\u0008\u009b2Jx";
    expect(stripControlChars(hostile)).toBe("cityredx");
  });

  it("keeps tabs and newlines, or turns newlines into spaces for one-line text", () => {
    expect(stripControlChars("a\tb\nc")).toBe("a\tb\nc");
    expect(stripControlChars("a\nb", { newlines: false })).toBe("a b");
  });

  it("removes bidirectional overrides and keeps other Unicode", () => {
    expect(stripControlChars("é\u202eabc\u2066ü ✓")).toBe("éabcü ✓");
  });
});

describe("terminalJson", () => {
  it("escapes C1 controls that JSON.stringify leaves raw, and parses back to the same value", () => {
    const value = { name: "a\u009b2Jb\u001b[2J" };
    const text = terminalJson(value);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
