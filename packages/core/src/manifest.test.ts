// The manifest module: one rule for manifests and plugin commands, importable without the rest of core.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkManifestCommands, defineCommand, inspectManifest, PLUGIN_API_VERSION } from "./manifest.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("manifest rule", () => {
  it("gives a verdict with the fix for missing, incompatible and malformed manifests", () => {
    expect(inspectManifest("p", undefined)).toMatchObject({
      status: "broken",
      error: 'p is not a lolpop plugin: its package.json has no "lolpop" manifest field.',
    });
    const future = inspectManifest("p", { apiVersion: PLUGIN_API_VERSION + 1, components: [] });
    expect(future).toMatchObject({ status: "incompatible" });
    expect(future.status !== "ok" && future.fix).toMatch(/upgrade @lolpop\/core \(and @lolpop\/cli\)/);
    const old = inspectManifest("p", { apiVersion: 0, components: [] }, { version: "9.9.9", apiVersion: 3 });
    expect(old.status !== "ok" && old.error).toBe(
      "Plugin p targets lolpop plugin API 0, but @lolpop/core 9.9.9 supports API 3: upgrade p to a version built for plugin API 3.",
    );
    expect(
      inspectManifest("p", { apiVersion: PLUGIN_API_VERSION, components: [{ kind: "x" }] }),
    ).toMatchObject({
      status: "broken",
      error: 'p: "lolpop.components" in package.json must be a list of {kind, type}.',
    });
    const ok = inspectManifest("p", {
      apiVersion: PLUGIN_API_VERSION,
      components: [{ kind: "k", type: "T" }],
    });
    expect(ok.status === "ok" && ok.manifest.components).toEqual([{ kind: "k", type: "T" }]);
  });

  it("keeps commands with a valid name and a module inside the package, and says why others are left out", () => {
    const dir = "/pkg";
    const { commands, problems } = checkManifestCommands(dir, [
      { name: "greet", description: "Greets", module: "./dist/greet.js" },
      { name: "db:migrate", module: "./dist/migrate.js" },
      { name: "Bad Name", module: "./x.js" },
      { name: "escape", module: "../other/x.js" },
      { name: "nomodule" },
      { name: "runs attach", module: "./dist/attach.js" },
      { name: "runs  two spaces", module: "./dist/x.js" },
    ]);
    expect(commands).toEqual([
      { name: "greet", description: "Greets", module: "./dist/greet.js" },
      { name: "db:migrate", description: "", module: "./dist/migrate.js" },
      { name: "runs attach", description: "", module: "./dist/attach.js" },
    ]);
    expect(problems).toEqual([
      '"lolpop.commands[2]" needs a lower-case "name" (letters, digits, dashes; "group sub" for a subcommand) and a "module" path: ignored',
      "command escape: module ../other/x.js is outside the package: ignored",
      '"lolpop.commands[4]" needs a lower-case "name" (letters, digits, dashes; "group sub" for a subcommand) and a "module" path: ignored',
      '"lolpop.commands[6]" needs a lower-case "name" (letters, digits, dashes; "group sub" for a subcommand) and a "module" path: ignored',
    ]);
    expect(checkManifestCommands(dir, { greet: {} }).problems).toEqual([
      '"lolpop.commands" must be a list of {name, description, module}: commands ignored',
    ]);
    expect(checkManifestCommands(dir, undefined)).toEqual({ commands: [], problems: [] });
  });

  it("defineCommand returns the command function itself", () => {
    const fn = async () => 3;
    expect(defineCommand(fn)).toBe(fn);
  });

  it("the built @lolpop/core/manifest imports only Node built-ins and never runs core's entry", () => {
    // Static: follow the imports of dist/manifest.js through its chunks.
    const seen = new Set<string>();
    const external = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/^(?:import|export)\b[^"';]*?from\s*"([^"]+)"/gm)) {
        const spec = m[1]!;
        if (spec.startsWith(".")) walk(join(dirname(file), spec));
        else external.add(spec);
      }
    };
    walk(join(pkgDir, "dist", "manifest.js"));
    expect([...external].filter((s) => !isBuiltin(s))).toEqual([]);
    expect([...seen].map((f) => f.slice(f.lastIndexOf("/") + 1))).not.toContain("index.js");
    // At run time (a fresh process): core's entry records the copy in the registry on globalThis;
    // importing the manifest module must not.
    const url = pathToFileURL(join(pkgDir, "dist", "manifest.js")).href;
    const script = `const m = await import(${JSON.stringify(url)});
console.log(JSON.stringify({
  registry: globalThis[Symbol.for("lolpop.registry@1")] !== undefined,
  api: m.PLUGIN_API_VERSION,
  check: m.inspectManifest("p", undefined).status,
}));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ registry: false, api: PLUGIN_API_VERSION, check: "broken" });
  });
});
