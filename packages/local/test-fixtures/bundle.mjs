/**
 * Test helper: bundles test-fixtures/store-worker.mjs (which imports the TypeScript sources) into one
 * runnable .mjs file under the OS temp folder, and runs it in child `node` processes.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Bundles the worker (sources and @lolpop/core included) and returns the bundle's path. */
export async function bundleWorker() {
  const out = join(await mkdtemp(join(tmpdir(), "lolpop-worker-")), "store-worker.mjs");
  await build({
    entryPoints: [join(here, "store-worker.mjs")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: out,
    logLevel: "silent",
    // CommonJS dependencies of core (ajv) may call require(): give the ESM bundle one.
    banner: {
      js: 'import { createRequire as __lolpopCreateRequire } from "node:module"; const require = __lolpopCreateRequire(import.meta.url);',
    },
  });
  return out;
}

/** Runs the bundled worker with `args`; resolves when the process has exited (and was reaped). */
export function runWorker(bundle, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      let json;
      if (code === 0) {
        try {
          json = JSON.parse(stdout.trim().split("\n").pop() ?? "");
        } catch {
          json = undefined;
        }
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}
