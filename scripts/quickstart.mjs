#!/usr/bin/env node
// `pnpm quickstart [--example penguins|cars] [--build-only]`: builds the packages the example needs
// (turbo's output is shown only when the build fails), then runs the example's quickstart
// (prepare the data, `lolpop run`).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const at = args.indexOf("--example");
const example = at >= 0 ? args[at + 1] : "penguins";
const examples = readdirSync(join(root, "examples", "quickstart"));
if (!example || !existsSync(join(root, "examples", "quickstart", example, "package.json"))) {
  console.error(`quickstart: unknown example "${example ?? ""}": one of ${examples.join(", ")}`);
  process.exit(2);
}
const pkg = `@lolpop-examples/quickstart-${example}`;
const turbo = join(root, "node_modules", ".bin", "turbo");
const started = Date.now();
const build = spawnSync(turbo, ["run", "build", `--filter=${pkg}...`, "--output-logs=errors-only"], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
});
if (build.status !== 0) {
  process.stderr.write(`${build.stdout ?? ""}${build.stderr ?? ""}`);
  console.error(
    `quickstart: the build failed (${build.error?.message ?? `exit ${build.status}`}); its output is above`,
  );
  process.exit(build.status || 1);
}
console.log(`quickstart: packages built (${((Date.now() - started) / 1000).toFixed(1)} s)`);
if (args.includes("--build-only")) process.exit(0);
const run = spawnSync("pnpm", ["--silent", "--filter", pkg, "quickstart"], { cwd: root, stdio: "inherit" });
process.exit(run.status ?? 1);
