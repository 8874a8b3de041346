// What the UI's end-to-end tests share: a temp project linked to this workspace's packages (the
// penguins quickstart's data), the real `lolpop` CLI run in it, Debian's chromium (installed by
// scripts/chromium-setup.mjs when missing) and a page opened at a hash route with its console errors.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { writePenguinsData } from "../../../tests/penguins.js";

export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(pkgDir, "..", "..");

/** The packages a test project links from apps/ui/node_modules (plus @lolpop/ui itself). */
const LINKED = [
  "@lolpop/cli",
  "@lolpop/core",
  "@lolpop/workflows",
  "@lolpop/local",
  "@lolpop/random-forest",
  "@lolpop/evidently",
  "@lolpop/tfjs",
  "vega-datasets",
];

/**
 * A temp project (realpath) whose node_modules link this workspace's packages (and `extra` ones
 * from apps/ui/node_modules), with the penguins data.
 */
export function linkedProject(prefix = "lolpop-ui-", extra: string[] = []): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const deps: Record<string, string> = {};
  for (const name of [...LINKED, ...extra]) {
    const at = join(dir, "node_modules", name);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(realpathSync(join(pkgDir, "node_modules", name)), at);
    deps[name] = "*";
  }
  symlinkSync(pkgDir, join(dir, "node_modules", "@lolpop", "ui"));
  deps["@lolpop/ui"] = "*";
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "ui-project", private: true, type: "module", dependencies: deps }),
  );
  writePenguinsData(dir);
  return dir;
}

/** Runs the project's `lolpop` with `args` in `dir`; its stdout, or an error with both streams. */
export function lolpop(dir: string, args: string[]): string {
  const r = spawnSync(
    process.execPath,
    [join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js"), ...args],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" },
      timeout: 300_000,
    },
  );
  if (r.status !== 0)
    throw new Error(`lolpop ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The path of Debian's chromium (scripts/chromium-setup.mjs installs it when missing). */
export function chromiumPath(): string {
  return execFileSync(process.execPath, [join(repoRoot, "scripts", "chromium-setup.mjs")], {
    encoding: "utf8",
  }).trim();
}

/** Opens `url/#hash` in a new page, waits until the page is ready; `errors` collects console errors. */
export async function openPage(
  browser: Browser,
  url: string,
  hash: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${url}/#${hash}`);
  await page.waitForSelector("main[data-ready]");
  return { page, errors };
}
