// The HTML report with hostile column names and values: everything renders as text, no markup from
// the data gets through, and headless Chromium (the Debian package) shows the drift table.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { instantiateComponent, Table } from "@lolpop/core";
import { tempDir } from "../test/helpers.js";
import { type EvidentlyDataCheckerConfig, evidentlyDataChecker } from "./evidently-data-checker.js";
import { escapeHtml, MAX_LABEL_CHARS, renderHtmlReport } from "./evidently-html.js";
import { analyze } from "./evidently-report.js";

/** The browser's path from the suite's one setup script (installs Debian's chromium when missing; LOLPOP_CHROMIUM overrides). */
let chromiumPath: string | undefined;
function chromiumExecutable(): string {
  chromiumPath ??= execFileSync(
    process.execPath,
    [join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "scripts", "chromium-setup.mjs")],
    { encoding: "utf8" },
  ).trim();
  return chromiumPath;
}

/** Runs headless Chromium with the flags this machine needs (no network, no sandbox as root, throwaway profile). */
function chromium(args: string[]): { stdout: string; stderr: string } {
  const profile = tempDir("lolpop-chromium-");
  const r = spawnSync(
    chromiumExecutable(),
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-dev-shm-usage",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: "utf8", timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0)
    throw new Error(`chromium exited with ${r.status} ${r.signal ?? ""}: ${r.stderr.slice(-2000)}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const SCRIPT = "<script>alert('x')</script>";
/** How a browser serializes text content (only &, < and > are escaped). */
const domText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const QUOTES = `"quoted" & 'single' </td><td>`;
const LONG = `${"L".repeat(MAX_LABEL_CHARS)}TAIL${"z".repeat(5000)}`;
const IMG = '<img src=x onerror="alert(1)">';

function tables() {
  const n = 300;
  const mk = (s: number) =>
    Table.fromColumns({
      [SCRIPT]: Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + s),
      [QUOTES]: Array.from({ length: n }, (_, i) => [IMG, "a&b", LONG, `${SCRIPT}${i % 2}`][(i + s) % 4]!),
      [LONG]: Array.from({ length: n }, (_, i) => ((i * 7 + s * 3) % 11) + 0.5),
    });
  return { current: mk(1), reference: mk(0) };
}

describe("HTML report", () => {
  it("escapes every value from the data", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const { current, reference } = tables();
    const a = analyze(current, reference);
    const html = renderHtmlReport({
      title: `check ${SCRIPT}`,
      current,
      reference,
      drift: a.drift!,
      summary: a.summary,
    });
    // No markup from the data: the only tags are the report's own.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/onerror="/);
    expect(html).toContain(escapeHtml(SCRIPT));
    expect(html).toContain(escapeHtml(QUOTES));
    // Self-contained: nothing is loaded from anywhere.
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href)\s*=/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    // A very long name is cut for display.
    expect(html).toContain(`${"L".repeat(MAX_LABEL_CHARS)}…`);
  });

  it("headless Chromium shows the drift table with the hostile names as text", async () => {
    const { current, reference } = tables();
    const root = tempDir();
    const checker = await instantiateComponent<"data_checker", EvidentlyDataCheckerConfig>(
      evidentlyDataChecker,
      { project: { root }, config: { json: false } },
    );
    const report = await checker.check_data(current, { reference, name: SCRIPT });
    const file = report.artifacts![0]!.path;
    expect(file.endsWith("report.html")).toBe(true);
    expect(report.artifacts![0]!.name).toBe("script_alert_x_script.evidently.html");

    const dom = chromium(["--dump-dom", pathToFileURL(file).href]).stdout;
    // The DOM has no script element and no image, whatever the data held.
    expect(dom).not.toMatch(/<script/i);
    expect(dom).not.toMatch(/<img/i);
    // The drift table is there, one row per column, names shown as text.
    const table = dom.slice(
      dom.indexOf('<table id="drift-table">'),
      dom.indexOf("</table>", dom.indexOf('<table id="drift-table">')),
    );
    expect(table.length).toBeGreaterThan(0);
    const rows = table.split("<tr>").slice(2); // header row first
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain(`<td class="name">${domText(SCRIPT)}</td>`);
    expect(rows.some((r) => r.includes(`<td class="name">${domText(QUOTES)}</td>`))).toBe(true);
    expect(rows.some((r) => r.includes(`${"L".repeat(MAX_LABEL_CHARS)}…`))).toBe(true);
    expect(dom).toContain("Dataset drift detected");

    // And it renders to pixels: a screenshot of the page.
    const shot = join(root, "report.png");
    chromium([
      "--window-size=1200,1600",
      "--hide-scrollbars",
      `--screenshot=${shot}`,
      pathToFileURL(file).href,
    ]);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
    if (process.env.EVIDENTLY_KEEP_SCREENSHOT)
      writeFileSync(process.env.EVIDENTLY_KEEP_SCREENSHOT, readFileSync(shot));
  }, 180_000);
});
