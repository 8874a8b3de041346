// What the UI's end-to-end tests share: a temp project linked to this workspace's packages (the
// penguins quickstart's data), the real `lolpop` CLI run in it, Debian's chromium (installed by
// scripts/chromium-setup.mjs when missing) and a page opened at a hash route with its console errors.
import { execFileSync, spawn, spawnSync } from "node:child_process";
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

/** A number as the page shows it: whole numbers as they are, others with 4 decimals. */
export const shown = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));

/** Waits until `read()` gives `want` (an action's answer arrives after the click); `said`: dialogs so far, shown on failure. */
export async function until<T>(read: () => Promise<T>, want: T, said: string[] = []): Promise<void> {
  let got = await read();
  for (let i = 0; got !== want && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    got = await read();
  }
  expect({ got, said }).toEqual({ got: want, said });
}

/**
 * The model page's action buttons, driven as a user does: every dialog is accepted and its message
 * kept in `said` (an accept that fails because the page went away is pushed to `errors`, an error of
 * the test, not an unhandled rejection). `act(button, want)` clicks the button, then waits for
 * `champion()` to be `want`, for the confirmation and the alert with the action's answer, and for
 * the page's reload.
 */
export function pageActions(
  page: Page,
  errors: string[],
  champion: () => Promise<number | null>,
): { said: string[]; act(button: string, want: number): Promise<void> } {
  const said: string[] = [];
  page.on("dialog", (d) => {
    said.push(d.message());
    d.accept().catch((e: Error) => errors.push(`dialog: ${e.message}`));
  });
  const act = async (button: string, want: number) => {
    const before = said.length;
    await page.getByRole("button", { name: button }).click();
    await until(champion, want, said);
    await until(async () => said.length, before + 2, said);
    await page.waitForSelector("main[data-ready]");
  };
  return { said, act };
}

/**
 * Starts the project's `lolpop ui --port 0 --read-only` in `dir` as a child process and resolves with
 * the address it prints (`open http://...`); `stop()` sends SIGTERM and resolves with its exit code.
 * Rejects with its stderr when it exits before printing the address.
 */
export async function startUiCommand(dir: string): Promise<{ base: string; stop(): Promise<number | null> }> {
  const proc = spawn(
    process.execPath,
    [join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js"), "ui", "--port", "0", "--read-only"],
    { cwd: dir, env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" } },
  );
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  const stop = () => {
    proc.kill("SIGTERM");
    return exited;
  };
  try {
    const base = await new Promise<string>((ok, fail) => {
      let err = "";
      proc.stderr!.on("data", (d) => {
        err += d;
        const m = /open (http:\/\/\S+)/.exec(err);
        if (m) ok(m[1]!.replace(/\/$/, ""));
      });
      exited.then((code) => fail(new Error(`lolpop ui exited ${code}:\n${err}`)));
    });
    return { base, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
