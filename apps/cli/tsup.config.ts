import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "tsup";
import { buildCommonJs } from "../../tsup.base.mjs";

// Versions of the workspace's publishable lolpop packages, embedded so `lolpop init` and
// `lolpop create plugin` write dependency ranges that exist when this CLI is released with them.
function workspaceVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const group of ["packages", "integrations", "apps"]) {
    const dir = join(process.cwd(), "..", "..", group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name, "package.json");
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, "utf8")) as {
        name?: string;
        version?: string;
        private?: boolean;
      };
      if (pkg.name?.startsWith("@lolpop/") && pkg.version && !pkg.private) out[pkg.name] = pkg.version;
    }
  }
  return out;
}

const define = { __LOLPOP_VERSIONS__: JSON.stringify(workspaceVersions()) };

export default defineConfig({
  entry: ["src/index.ts", "src/cli.ts", "src/handoff.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  define,
  // What bin/lolpop.js requires first (dist/start.cjs: the hand-off and the start of `validate`),
  // and `lolpop validate` as one CommonJS file (dist/validate-bundle.cjs, core external), stamped
  // for its V8 code cache, which start.cjs loads with core's CommonJS build (see start.ts).
  onSuccess: async () => {
    await buildCommonJs({ start: "src/start.ts" }, { external: ["@lolpop/core"] });
    await buildCommonJs(
      { "validate-bundle": "src/validate-bundle.ts" },
      {
        external: ["@lolpop/core"],
        define,
        stamp: true,
        // `import("@lolpop/core")` becomes `require` (the code-cached copy); modules imported by
        // URL go through import-url.ts, whose importer start.ts sets.
        esbuildOptions: (o) => {
          o.supported = { ...o.supported, "dynamic-import": false };
        },
      },
    );
  },
});
