// Helpers of the CLI tests: fixture plugin packages, packing the workspace packages into tarballs,
// installing them with npm, pnpm (strict) and globally, and linking workspace packages into a folder.
import { type SpawnSyncOptions, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cliBin, repoRoot } from "./helpers.js";

/** The workspace packages by name and folder. */
export const WORKSPACE: Record<string, string> = {
  "@lolpop/core": join(repoRoot, "packages", "core"),
  "@lolpop/local": join(repoRoot, "packages", "local"),
  "@lolpop/onnx": join(repoRoot, "packages", "onnx"),
  "@lolpop/workflows": join(repoRoot, "packages", "workflows"),
  "@lolpop/testing": join(repoRoot, "packages", "testing"),
  "@lolpop/python-bridge": join(repoRoot, "packages", "python-bridge"),
  "@lolpop/random-forest": join(repoRoot, "integrations", "random-forest"),
  "@lolpop/cli": join(repoRoot, "apps", "cli"),
};

/** A new folder under the OS temp dir (outside the workspace, so pnpm does not see the repo's workspace). */
export function tempDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** Runs a command; throws with its output when it fails. */
export function sh(cmd: string, args: string[], opts: SpawnSyncOptions & { cwd: string }): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 300_000, ...opts });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} (in ${opts.cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`,
    );
  return String(r.stdout);
}

/** Runs a `lolpop` bin (a path) without forcing LOLPOP_NO_HANDOFF, so hand-off can happen. */
export function runBin(bin: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const base = { ...process.env };
  delete base.LOLPOP_NO_HANDOFF;
  delete base.LOLPOP_HANDOFF_FROM;
  const isJs = bin.endsWith(".js");
  const r = spawnSync(isJs ? process.execPath : bin, isJs ? [bin, ...args] : args, {
    cwd,
    encoding: "utf8",
    env: { ...base, NO_COLOR: "1", ...env },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes a package folder: package.json plus files. */
export function writePackage(
  dir: string,
  pkg: Record<string, unknown>,
  files: Record<string, string> = {},
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** An entry that throws when imported, after leaving a marker file (proof that it was imported). */
export function throwingEntry(marker: string): string {
  return `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "imported");\nthrow new Error("this plugin must not be imported");\n`;
}

/** A real plugin entry built with the core it resolves. */
export function pluginEntry(name: string, components: Array<{ kind: string; type: string }>): string {
  return `import { defineComponent, definePlugin, registerPlugin } from "@lolpop/core";
const components = ${JSON.stringify(components)}.map((c) =>
  defineComponent({ kind: c.kind, type: c.type, description: "fixture", create: () => ({ notify: async () => undefined }) }),
);
export default registerPlugin(definePlugin({ name: ${JSON.stringify(name)}, version: "1.0.0", components }));
`;
}

/** The fixture plugins of the install tests: broken, incompatible, clashing, bundling its own core. */
export function writeFixturePlugins(root: string, markerDir: string): Record<string, string> {
  const coreDir = WORKSPACE["@lolpop/core"]!;
  const dirs: Record<string, string> = {};
  const peer = { "@lolpop/core": ">=0.1.0 <1.0.0" };
  const exp = { ".": "./index.js", "./package.json": "./package.json" };
  dirs["lolpop-plugin-throws"] = writePackage(
    join(root, "throws"),
    {
      name: "lolpop-plugin-throws",
      version: "1.0.0",
      type: "module",
      exports: exp,
      peerDependencies: peer,
      lolpop: { apiVersion: 1, components: [{ kind: "notifier", type: "ThrowingNotifier" }] },
    },
    { "index.js": throwingEntry(join(markerDir, "throws-imported")) },
  );
  dirs["lolpop-plugin-nomanifest"] = writePackage(
    join(root, "nomanifest"),
    {
      name: "lolpop-plugin-nomanifest",
      version: "1.0.0",
      type: "module",
      keywords: ["lolpop-plugin"],
      exports: exp,
    },
    { "index.js": "export default {};\n" },
  );
  dirs["lolpop-plugin-noentry"] = writePackage(join(root, "noentry"), {
    name: "lolpop-plugin-noentry",
    version: "1.0.0",
    type: "module",
    exports: { ".": "./dist/index.js", "./package.json": "./package.json" },
    peerDependencies: peer,
    lolpop: { apiVersion: 1, components: [{ kind: "notifier", type: "UnbuiltNotifier" }] },
  });
  dirs["lolpop-plugin-future"] = writePackage(
    join(root, "future"),
    {
      name: "lolpop-plugin-future",
      version: "3.0.0",
      type: "module",
      exports: exp,
      peerDependencies: peer,
      lolpop: { apiVersion: 99, components: [{ kind: "notifier", type: "FutureNotifier" }] },
    },
    { "index.js": throwingEntry(join(markerDir, "future-imported")) },
  );
  dirs["lolpop-plugin-clash"] = writePackage(
    join(root, "clash"),
    {
      name: "lolpop-plugin-clash",
      version: "1.0.0",
      type: "module",
      exports: exp,
      peerDependencies: peer,
      lolpop: { apiVersion: 1, components: [{ kind: "data_connector", type: "LocalDataConnector" }] },
    },
    {
      "index.js": pluginEntry("lolpop-plugin-clash", [
        { kind: "data_connector", type: "LocalDataConnector" },
      ]),
    },
  );
  // A plugin that ships its own copy of core (bundleDependencies): a second @lolpop/core in the project.
  const dup = writePackage(
    join(root, "dupcore"),
    {
      name: "lolpop-plugin-dupcore",
      version: "1.0.0",
      type: "module",
      exports: exp,
      dependencies: { "@lolpop/core": "0.0.1-fixture" },
      bundleDependencies: ["@lolpop/core"],
      lolpop: { apiVersion: 1, components: [{ kind: "notifier", type: "DupCoreNotifier" }] },
    },
    { "index.js": pluginEntry("lolpop-plugin-dupcore", [{ kind: "notifier", type: "DupCoreNotifier" }]) },
  );
  const bundled = join(dup, "node_modules", "@lolpop", "core");
  mkdirSync(join(bundled, "dist"), { recursive: true });
  const corePkg = JSON.parse(readFileSync(join(coreDir, "package.json"), "utf8"));
  writeFileSync(
    join(bundled, "package.json"),
    JSON.stringify({ ...corePkg, version: "0.0.1-fixture", dependencies: {} }),
  );
  for (const f of readdirSync(join(coreDir, "dist")))
    if (f.endsWith(".js")) writeFileSync(join(bundled, "dist", f), readFileSync(join(coreDir, "dist", f)));
  dirs["lolpop-plugin-dupcore"] = dup;
  return dirs;
}

/** `npm pack` a folder into `dest`; returns the tarball path. */
export function npmPack(dir: string, dest: string): string {
  const out = sh("npm", ["pack", "--pack-destination", dest, "--silent"], { cwd: dir })
    .trim()
    .split("\n")
    .pop()!;
  return join(dest, out);
}

/** `pnpm pack` each built workspace package into `dest` (workspace: ranges become versions). */
export function packWorkspace(dest: string, names = Object.keys(WORKSPACE)): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const dir = WORKSPACE[name]!;
    if (!existsSync(join(dir, "dist"))) throw new Error(`${name} is not built: run pnpm build first`);
    const printed = sh("pnpm", ["pack", "--pack-destination", dest], { cwd: dir }).trim().split("\n").pop()!;
    out[name] = printed.startsWith("/") ? printed : join(dest, printed);
  }
  return out;
}

/**
 * Links packages into `dir/node_modules` (and their bins into `.bin`): workspace packages from their
 * folders, others from the repo's root node_modules.
 */
export function linkPackages(dir: string, names: string[]): void {
  const nm = join(dir, "node_modules");
  mkdirSync(join(nm, ".bin"), { recursive: true });
  for (const name of names) {
    const src = WORKSPACE[name] ?? realpathSync(join(repoRoot, "node_modules", name));
    const link = join(nm, name);
    mkdirSync(dirname(link), { recursive: true });
    if (!existsSync(link)) symlinkSync(src, link);
    const bin = JSON.parse(readFileSync(join(src, "package.json"), "utf8")).bin as
      | string
      | Record<string, string>
      | undefined;
    const bins = typeof bin === "string" ? { [name.split("/").pop()!]: bin } : (bin ?? {});
    for (const [cmd, rel] of Object.entries(bins)) {
      const target = join(nm, ".bin", cmd);
      if (!existsSync(target)) symlinkSync(join(src, rel), target);
    }
  }
}

/** Parses the JSON a command printed on stdout, with the output in the error when it is not JSON. */
export function json<T = Record<string, any>>(r: { stdout: string; stderr: string; code: number | null }): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** Runs the workspace CLI without blocking this process (for tests that serve HTTP themselves). */
export function lolpopAsync(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      cwd,
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}
