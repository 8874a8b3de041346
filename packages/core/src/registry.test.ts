import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkManifest,
  defineComponent,
  definePlugin,
  IncompatiblePluginError,
  isPlugin,
  LolpopError,
  listConflicts,
  PluginConflictError,
  PluginLoadError,
  registerPlugin,
  resetRegistry,
  resolveType,
} from "./index.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");

const comp = (type: string) =>
  defineComponent({ kind: "notifier", type, create: () => ({ notify: async () => undefined }) });

afterEach(() => resetRegistry());

describe("registry", () => {
  it("registers idempotently and resolves bare and qualified names", () => {
    const p = definePlugin({ name: "@acme/a", version: "1.0.0", components: [comp("AcmeNotifier")] });
    expect(registerPlugin(p)).toBe(p);
    const again = definePlugin({ name: "@acme/a", version: "1.0.0", components: [comp("AcmeNotifier")] });
    expect(registerPlugin(again)).toBe(p);
    expect(resolveType("AcmeNotifier")?.plugin).toBe("@acme/a");
    expect(resolveType("@acme/a/AcmeNotifier")?.type).toBe("AcmeNotifier");
    expect(resolveType("Nope")).toBeUndefined();
  });

  it("reports a type claimed by two plugins with both names, and the qualified form disambiguates", () => {
    registerPlugin(definePlugin({ name: "@acme/a", version: "1.0.0", components: [comp("SlackNotifier")] }));
    registerPlugin(definePlugin({ name: "@other/b", version: "2.0.0", components: [comp("SlackNotifier")] }));
    let err: unknown;
    try {
      resolveType("SlackNotifier");
    } catch (e) {
      err = e;
    }
    expect(PluginConflictError.isInstance(err)).toBe(true);
    expect(LolpopError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain("@acme/a");
    expect((err as Error).message).toContain("@other/b");
    expect((err as Error).message).toContain("@acme/a/SlackNotifier");
    expect(resolveType("@other/b/SlackNotifier")?.plugin).toBe("@other/b");
    expect(listConflicts()).toEqual([{ type: "SlackNotifier", plugins: ["@acme/a", "@other/b"] }]);
  });

  it("refuses two versions of one plugin and non-plugins", () => {
    registerPlugin(definePlugin({ name: "@acme/a", version: "1.0.0", components: [] }));
    expect(() => registerPlugin(definePlugin({ name: "@acme/a", version: "1.1.0", components: [] }))).toThrow(
      /Two versions of plugin @acme\/a are loaded \(1.0.0 and 1.1.0\)/,
    );
    expect(() => registerPlugin({ name: "x" } as never)).toThrow(PluginLoadError);
    expect(isPlugin({ name: "x" })).toBe(false);
  });

  it("checks apiVersion from the object and from the manifest, naming the fix", () => {
    const future = definePlugin({ name: "@acme/future", version: "1.0.0", apiVersion: 2, components: [] });
    let err: unknown;
    try {
      registerPlugin(future);
    } catch (e) {
      err = e;
    }
    expect(IncompatiblePluginError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /targets lolpop plugin API 2.*supports API 1: upgrade @lolpop\/core/,
    );
    expect(() => checkManifest("@acme/old", { apiVersion: 0, components: [] })).toThrow(/upgrade @acme\/old/);
    expect(() => checkManifest("@acme/none", undefined)).toThrow(/no "lolpop" manifest/);
    expect(
      checkManifest("@acme/ok", { apiVersion: 1, components: [{ kind: "notifier", type: "X" }] }).components,
    ).toHaveLength(1);
  });

  it("two separately loaded copies of core share one registry and both are recorded", () => {
    // Two copies of the built core in different folders = two module instances in one process.
    const base = mkdtempSync(join(tmpdir(), "lolpop-core-copies-"));
    for (const name of ["copy-a", "copy-b"]) {
      cpSync(join(pkgDir, "dist"), join(base, name, "dist"), { recursive: true });
      writeFileSync(
        join(base, name, "package.json"),
        JSON.stringify({
          name: "@lolpop/core",
          version: name === "copy-a" ? "0.1.0" : "0.1.1",
          type: "module",
        }),
      );
      symlinkSync(join(pkgDir, "node_modules"), join(base, name, "node_modules"));
    }
    const script = `
      const a = await import(${JSON.stringify(join(base, "copy-a", "dist", "index.js"))});
      const b = await import(${JSON.stringify(join(base, "copy-b", "dist", "index.js"))});
      if (a.registerPlugin === b.registerPlugin) throw new Error("not two copies");
      const p = a.definePlugin({ name: "@acme/shared", version: "1.0.0", components: [a.defineComponent({ kind: "notifier", type: "SharedNotifier", create: () => ({ notify: async () => {} }) })] });
      a.registerPlugin(p);
      // Copy b sees what copy a registered, treats a's plugin object as a plugin, and registration is idempotent across copies.
      const seen = b.resolveType("SharedNotifier");
      const again = b.registerPlugin(b.definePlugin({ name: "@acme/shared", version: "1.0.0", components: [] }));
      const err = (() => { try { b.registerPlugin(b.definePlugin({ name: "@acme/shared", version: "9.0.0", components: [] })); } catch (e) { return e; } })();
      console.log(JSON.stringify({
        plugin: seen && seen.plugin,
        isPlugin: b.isPlugin(p),
        sameObject: again === p,
        errorSeenByA: a.PluginLoadError.isInstance(err),
        copies: b.coreCopies().map((c) => c.path.includes("copy-a") ? "a" : c.path.includes("copy-b") ? "b" : c.path),
      }));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }),
    );
    expect(out).toEqual({
      plugin: "@acme/shared",
      isPlugin: true,
      sameObject: true,
      errorSeenByA: true,
      copies: ["a", "b"],
    });
  });
});
