#!/usr/bin/env node
// Makes @tensorflow/tfjs-node work without its install script (which downloads libtensorflow from a
// Google CDN): stages the TensorFlow C library from the PyPI `tensorflow-cpu` wheel into the installed
// package's deps/ folder and compiles the native addon from source.
//
//   node build-tfjs-node.mjs [projectDir] [--check] [--force] [--verify] [--quiet]
//
// projectDir   folder whose node_modules holds @tensorflow/tfjs-node (default: the current folder)
// --check      only report whether the addon is built (exit 0) or not (exit 1); changes nothing
// --force      rebuild even when the addon is already built
// --verify     after the (possibly skipped) build, load tfjs-node in a child process and run an op
// --quiet      print only errors and the final line
//
// Environment: LOLPOP_TFJS_NODE_CACHE (cache folder, default $XDG_CACHE_HOME/lolpop/tfjs-node or
// ~/.cache/lolpop/tfjs-node), LOLPOP_TFJS_WHEEL (a tensorflow-cpu wheel already on disk: no pip
// download), LOLPOP_PYTHON (the python used for `pip download` and the unzip), npm_config_nodedir
// (Node headers; default: the prefix of this node), npm_config_node_gyp (node-gyp's bin script).
//
// Idempotent and fast when already built (a marker file in <tfjs-node>/deps). Exit code 0 on
// success, 1 with a message saying what is missing otherwise. Linux x86-64 only.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The tfjs-node release this recipe is verified with. */
export const TFJS_NODE_VERSION = "4.22.0";
/** The TensorFlow release whose C library is staged. */
export const TENSORFLOW_VERSION = "2.21.0";
/** The exact wheel fetched (the .so files do not depend on the Python version of the wheel). */
export const WHEEL = {
  file: "tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl",
  sha256: "2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c",
  pip: [
    "--platform",
    "manylinux_2_27_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
  ],
};
/** Bumped when the staging layout or build steps change (forces a rebuild). */
const RECIPE_VERSION = 1;
const MARKER = "lolpop-build.json";
const LIBS = ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"];
const REQUIRED_HEADERS = [
  "tensorflow/c/c_api.h",
  "tensorflow/c/eager/c_api.h",
  "tensorflow/core/platform/ctstring_internal.h",
];

/** Error with a message for people; printed without a stack trace. */
export class BuildError extends Error {
  constructor(message) {
    super(message);
    this.name = "BuildError";
  }
}

function defaultCacheDir() {
  if (process.env.LOLPOP_TFJS_NODE_CACHE) return resolve(process.env.LOLPOP_TFJS_NODE_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "lolpop", "tfjs-node");
}

/** Finds the installed @tensorflow/tfjs-node as seen from `projectDir`. */
export function findTfjsNode(projectDir) {
  const req = createRequire(join(resolve(projectDir), "package.json"));
  let pkgJson;
  try {
    pkgJson = req.resolve("@tensorflow/tfjs-node/package.json");
  } catch {
    throw new BuildError(
      `@tensorflow/tfjs-node is not installed in ${resolve(projectDir)}. Install it first without its ` +
        `install script, e.g. \`npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION} --ignore-scripts\` ` +
        `(pnpm: leave it off allowBuilds; with pnpm >= 10 add "@tensorflow/tfjs-node": false there), ` +
        "then run this script again with that project folder.",
    );
  }
  const dir = dirname(pkgJson);
  const version = JSON.parse(readFileSync(pkgJson, "utf8")).version;
  return { dir, version };
}

function napiBuildVersion(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const supported = (pkg.binary?.napi_versions ?? []).filter((v) => v <= Number(process.versions.napi));
  if (!supported.length)
    throw new BuildError(
      `this Node (N-API ${process.versions.napi}) supports none of tfjs-node's N-API versions`,
    );
  return Math.max(...supported);
}

/** Paths of a tfjs-node install and whether its addon is built by this recipe. */
export function buildStatus(projectDir) {
  const { dir, version } = findTfjsNode(projectDir);
  const napi = napiBuildVersion(dir);
  const addon = join(dir, "lib", `napi-v${napi}`, "tfjs_binding.node");
  const markerFile = join(dir, "deps", MARKER);
  let marker;
  try {
    marker = JSON.parse(readFileSync(markerFile, "utf8"));
  } catch {
    marker = undefined;
  }
  const libsPresent = LIBS.every((f) => existsSync(join(dir, "deps", "lib", f)));
  const built =
    existsSync(addon) &&
    libsPresent &&
    marker?.recipe === RECIPE_VERSION &&
    marker?.tensorflow === TENSORFLOW_VERSION &&
    marker?.tfjs_node === version &&
    marker?.napi === napi &&
    marker?.platform === `${process.platform}-${process.arch}`;
  return { dir, version, napi, addon, built, marker };
}

const scriptStart = Date.now();

function log(quiet, ...args) {
  if (!quiet) console.log(`[build-tfjs-node +${((Date.now() - scriptStart) / 1000).toFixed(1)}s]`, ...args);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
  return { code: r.error ? -1 : r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

function tail(text, lines = 25) {
  return text.trim().split("\n").slice(-lines).join("\n");
}

function checkPlatform() {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new BuildError(
      `building tfjs-node from the tensorflow-cpu wheel is supported on Linux x86-64 only (this is ${process.platform}-${process.arch}). ` +
        "Use the wasm backend (backend: wasm), or install tfjs-node the upstream way where its download works.",
    );
  }
}

function findPython() {
  const candidates = [process.env.LOLPOP_PYTHON, "python3", "python"].filter(Boolean);
  const tried = [];
  for (const py of candidates) {
    const r = run(py, ["-c", "import sys, zipfile; print(sys.version.split()[0])"]);
    if (r.code === 0) return py;
    tried.push(py);
  }
  throw new BuildError(
    `no Python found (tried ${tried.join(", ")}): python3 is needed for pip download, the unzip and node-gyp. ` +
      "Install python3 or set LOLPOP_PYTHON to an interpreter.",
  );
}

function checkBuildTools() {
  const missing = [];
  for (const [tool, args] of [
    ["make", ["--version"]],
    ["g++", ["--version"]],
  ]) {
    if (run(tool, args).code !== 0) missing.push(tool);
  }
  if (missing.length)
    throw new BuildError(
      `the C++ toolchain is incomplete: ${missing.join(", ")} not found. Install it (Debian/Ubuntu: apt-get install -y build-essential python3).`,
    );
}

function nodeHeadersDir() {
  const dir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));
  if (!existsSync(join(dir, "include", "node", "node_api.h"))) {
    throw new BuildError(
      `Node headers not found in ${dir}/include/node (node-gyp would try to download them from nodejs.org). ` +
        "Install the headers of this Node version (e.g. the nodejs-dev / libnode-dev package, or an official Node tarball) " +
        "and set npm_config_nodedir to the folder that contains include/node.",
    );
  }
  return dir;
}

function findNodeGyp(projectDir) {
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const bases = [join(resolve(projectDir), "package.json"), fileURLToPath(import.meta.url)];
  for (const base of bases) {
    try {
      const pkg = createRequire(base).resolve("node-gyp/package.json");
      const bin = join(dirname(pkg), "bin", "node-gyp.js");
      if (existsSync(bin)) return bin;
    } catch {
      // not resolvable from there
    }
  }
  // npm ships node-gyp.
  const npmBundled = join(
    dirname(dirname(process.execPath)),
    "lib",
    "node_modules",
    "npm",
    "node_modules",
    "node-gyp",
    "bin",
    "node-gyp.js",
  );
  if (existsSync(npmBundled)) return npmBundled;
  throw new BuildError(
    "node-gyp not found (not in the project, not next to npm). Install it (`npm install -D node-gyp@11.5.0`) " +
      "or set npm_config_node_gyp to its bin/node-gyp.js.",
  );
}

function findNodePreGyp(tfjsNodeDir) {
  try {
    const pkg = createRequire(join(tfjsNodeDir, "package.json")).resolve("@mapbox/node-pre-gyp/package.json");
    return join(dirname(pkg), "bin", "node-pre-gyp");
  } catch {
    throw new BuildError(
      `@mapbox/node-pre-gyp (a dependency of @tensorflow/tfjs-node) is not resolvable from ${tfjsNodeDir}: reinstall @tensorflow/tfjs-node.`,
    );
  }
}

async function sha256(file) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest("hex");
}

/** Acquires `<cache>/.lock` (a directory), taking over a lock whose owner process is gone. */
async function withLock(cacheDir, quiet, fn) {
  mkdirSync(cacheDir, { recursive: true });
  const lock = join(cacheDir, ".lock");
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(join(lock, "pid"), "utf8"));
      } catch {
        // being created or removed
      }
      let alive = true;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
        } catch (err) {
          alive = err.code === "EPERM";
        }
      } else if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 60_000) {
        alive = false;
      }
      if (!alive) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(quiet, `waiting for another build (pid ${owner}) holding ${lock}`);
        announced = true;
      }
      if (Date.now() - started > 30 * 60_000)
        throw new BuildError(`gave up waiting for ${lock} after 30 min; remove it if no build is running`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The pinned tensorflow-cpu wheel (downloaded once into the cache, or LOLPOP_TFJS_WHEEL): what
 * tfjs-node is built from, and what the epoch-time benchmark installs Keras from.
 * @returns the wheel's path.
 */
export async function tensorflowWheel(options = {}) {
  return fetchWheel(options.cacheDir ?? defaultCacheDir(), findPython(), Boolean(options.quiet));
}

/** Downloads (or reuses) the pinned wheel into `<cache>/wheels`; returns its path. */
async function fetchWheel(cacheDir, python, quiet) {
  if (process.env.LOLPOP_TFJS_WHEEL) {
    const file = resolve(process.env.LOLPOP_TFJS_WHEEL);
    if (!existsSync(file)) throw new BuildError(`LOLPOP_TFJS_WHEEL points at ${file}, which does not exist`);
    return file;
  }
  const wheels = join(cacheDir, "wheels");
  const file = join(wheels, WHEEL.file);
  if (existsSync(file) && (await sha256(file)) === WHEEL.sha256) {
    log(quiet, `wheel in cache: ${file}`);
    return file;
  }
  rmSync(file, { force: true });
  mkdirSync(wheels, { recursive: true });
  const pipOk = run(python, ["-m", "pip", "--version"]);
  if (pipOk.code !== 0)
    throw new BuildError(
      `${python} has no pip (needed to download tensorflow-cpu==${TENSORFLOW_VERSION} from PyPI). Install pip, ` +
        `or download ${WHEEL.file} yourself and set LOLPOP_TFJS_WHEEL to it.`,
    );
  log(quiet, `downloading tensorflow-cpu==${TENSORFLOW_VERSION} (~274 MB) with pip into ${wheels}`);
  const r = run(
    python,
    [
      "-m",
      "pip",
      "download",
      "--no-deps",
      "--only-binary=:all:",
      ...WHEEL.pip,
      "--dest",
      wheels,
      `tensorflow-cpu==${TENSORFLOW_VERSION}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  if (r.code !== 0 || !existsSync(file)) {
    throw new BuildError(
      `pip could not download tensorflow-cpu==${TENSORFLOW_VERSION} (${WHEEL.file}) from PyPI:\n${tail(r.stderr || r.stdout)}\n` +
        "Check the network / PIP_INDEX_URL, or download the wheel elsewhere and set LOLPOP_TFJS_WHEEL to it.",
    );
  }
  const got = await sha256(file);
  if (got !== WHEEL.sha256) {
    rmSync(file, { force: true });
    throw new BuildError(
      `${WHEEL.file} has sha256 ${got}, expected ${WHEEL.sha256}: the download is corrupt or was tampered with (removed it; run again)`,
    );
  }
  return file;
}

const EXTRACT_PY = `
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
libs = ${JSON.stringify(LIBS)}
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    missing = [f for f in libs if "tensorflow/" + f not in names]
    if missing:
        sys.exit("the wheel has no tensorflow/" + ", tensorflow/".join(missing) + " (layout changed?)")
    for f in libs:
        with z.open("tensorflow/" + f) as src, open(os.path.join(out, "lib", f), "wb") as dst:
            while True:
                b = src.read(1 << 20)
                if not b:
                    break
                dst.write(b)
    prefix = "tensorflow/include/"
    n = 0
    for info in z.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        rel = info.filename[len(prefix):]
        if ".." in rel.split("/"):
            continue
        dest = os.path.join(out, "include", rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest, "wb") as dst:
            dst.write(src.read())
        n += 1
print(n)
`;

/** Extracts the two shared libraries and the headers into `<cache>/tensorflow-<v>/{lib,include}`. */
async function stageLibrary(cacheDir, python, quiet) {
  const stage = join(cacheDir, `tensorflow-${TENSORFLOW_VERSION}`);
  const complete = join(stage, "complete.json");
  if (existsSync(complete)) {
    log(quiet, `TensorFlow ${TENSORFLOW_VERSION} C library in cache: ${stage}`);
    return stage;
  }
  const wheel = await fetchWheel(cacheDir, python, quiet);
  const tmp = `${stage}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "lib"), { recursive: true });
  mkdirSync(join(tmp, "include"), { recursive: true });
  log(quiet, `extracting ${LIBS.join(", ")} and the headers from ${wheel}`);
  const r = run(python, ["-c", EXTRACT_PY, wheel, tmp]);
  if (r.code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new BuildError(
      `could not extract the TensorFlow library from ${wheel}:\n${tail(r.stderr || r.stdout)}`,
    );
  }
  const missing = REQUIRED_HEADERS.filter((h) => !existsSync(join(tmp, "include", h)));
  if (missing.length) {
    rmSync(tmp, { recursive: true, force: true });
    throw new BuildError(`the wheel lacks the headers ${missing.join(", ")} (layout changed?)`);
  }
  writeFileSync(
    join(tmp, "complete.json"),
    `${JSON.stringify({ tensorflow: TENSORFLOW_VERSION, wheel: WHEEL.file, sha256: WHEEL.sha256, headers: Number(r.stdout.trim()) }, null, 2)}\n`,
  );
  rmSync(stage, { recursive: true, force: true });
  renameSync(tmp, stage);
  return stage;
}

function linkOrCopy(from, to) {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Fills `<tfjs-node>/deps` from the staged library. */
function stageDeps(tfjsNodeDir, stage) {
  const deps = join(tfjsNodeDir, "deps");
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, "lib"), { recursive: true });
  for (const f of LIBS) linkOrCopy(join(stage, "lib", f), join(deps, "lib", f));
  const links = {
    "libtensorflow.so": "libtensorflow_cc.so.2",
    "libtensorflow_framework.so": "libtensorflow_framework.so.2",
    // tfjs-node's own install script skips its download when these exist.
    "libtensorflow.so.2.9.1": "libtensorflow_cc.so.2",
    "libtensorflow_framework.so.2.9.1": "libtensorflow_framework.so.2",
  };
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(deps, "lib", name));
  symlinkSync(join(stage, "include"), join(deps, "include"));
}

function compileAddon(projectDir, tfjsNodeDir, quiet) {
  const nodedir = nodeHeadersDir();
  const nodeGyp = findNodeGyp(projectDir);
  const preGyp = findNodePreGyp(tfjsNodeDir);
  log(quiet, `compiling the addon (node-pre-gyp install --build-from-source, node-gyp ${nodeGyp})`);
  rmSync(join(tfjsNodeDir, "build"), { recursive: true, force: true });
  const r = run(process.execPath, [preGyp, "install", "--build-from-source"], {
    cwd: tfjsNodeDir,
    env: {
      ...process.env,
      npm_config_nodedir: nodedir,
      npm_config_node_gyp: nodeGyp,
      npm_config_build_from_source: "true",
      JOBS: process.env.JOBS ?? "max",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.code !== 0) {
    throw new BuildError(
      `compiling tfjs-node's addon failed (exit ${r.code}):\n${tail(`${r.stdout}\n${r.stderr}`, 40)}`,
    );
  }
}

/** Loads tfjs-node in a child process and runs one op on the tensorflow backend. */
export function verify(projectDir) {
  const req = createRequire(join(resolve(projectDir), "package.json"));
  const entry = req.resolve("@tensorflow/tfjs-node");
  const code = `
    process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
    const tf = require(${JSON.stringify(entry)});
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]])).dataSync();
    const binding = tf.backend().binding;
    console.log(JSON.stringify({ backend: tf.getBackend(), tensorflow: binding && binding.TF_Version, y: Array.from(y) }));
  `;
  const r = run(process.execPath, ["-e", code], { cwd: resolve(projectDir) });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  let out;
  try {
    out = JSON.parse(line);
  } catch {
    out = undefined;
  }
  if (r.code !== 0 || out?.backend !== "tensorflow" || out.y?.[0] !== 3 || out.y?.[1] !== 7) {
    throw new BuildError(`tfjs-node does not load after the build:\n${tail(`${r.stdout}\n${r.stderr}`)}`);
  }
  return out;
}

/**
 * Builds tfjs-node for `projectDir` unless it is built already.
 * @returns what was done and how long it took.
 */
export async function buildTfjsNode(projectDir = process.cwd(), options = {}) {
  const quiet = Boolean(options.quiet);
  const started = Date.now();
  checkPlatform();
  const status = buildStatus(projectDir);
  if (status.version !== TFJS_NODE_VERSION) {
    throw new BuildError(
      `@tensorflow/tfjs-node ${status.version} is installed in ${status.dir}; this recipe is verified with ${TFJS_NODE_VERSION} only ` +
        `(keep @tensorflow/tfjs, -backend-wasm and -node on ${TFJS_NODE_VERSION}).`,
    );
  }
  if (status.built && !options.force) {
    if (options.verify) verify(projectDir);
    return { built: false, dir: status.dir, addon: status.addon, ms: Date.now() - started };
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  return withLock(cacheDir, quiet, async () => {
    // Another process may have finished the build while this one waited.
    const again = buildStatus(projectDir);
    if (again.built && !options.force) {
      return { built: false, dir: again.dir, addon: again.addon, ms: Date.now() - started };
    }
    const python = findPython();
    checkBuildTools();
    nodeHeadersDir();
    findNodeGyp(projectDir);
    const stage = await stageLibrary(cacheDir, python, quiet);
    log(quiet, `staging into ${join(status.dir, "deps")}`);
    rmSync(status.addon, { force: true });
    stageDeps(status.dir, stage);
    compileAddon(projectDir, status.dir, quiet);
    if (!existsSync(status.addon)) throw new BuildError(`the build finished but ${status.addon} is missing`);
    const check = verify(projectDir);
    writeFileSync(
      join(status.dir, "deps", MARKER),
      `${JSON.stringify(
        {
          recipe: RECIPE_VERSION,
          tfjs_node: status.version,
          tensorflow: TENSORFLOW_VERSION,
          wheel: WHEEL.file,
          napi: status.napi,
          platform: `${process.platform}-${process.arch}`,
          node: process.version,
          built_at: new Date().toISOString(),
        },
        null,
        2,
      )}\n`,
    );
    return {
      built: true,
      dir: status.dir,
      addon: status.addon,
      backend: check.backend,
      ms: Date.now() - started,
    };
  });
}

async function main(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith("--")));
  const known = new Set(["--check", "--force", "--verify", "--quiet", "--help"]);
  const unknown = [...flags].filter((f) => !known.has(f));
  const positional = argv.filter((a) => !a.startsWith("--"));
  if (flags.has("--help") || unknown.length || positional.length > 1) {
    const usage =
      "usage: build-tfjs-node [projectDir] [--check] [--force] [--verify] [--quiet]\n" +
      "  projectDir: the folder whose node_modules holds @tensorflow/tfjs-node (default: .)";
    if (unknown.length || positional.length > 1) {
      console.error(
        `${unknown.length ? `unknown option(s) ${unknown.join(", ")}` : "only one projectDir is accepted"}\n${usage}`,
      );
      return 2;
    }
    console.log(usage);
    return 0;
  }
  const projectDir = resolve(positional[0] ?? ".");
  if (!existsSync(projectDir) || !statSync(projectDir).isDirectory()) {
    console.error(`[build-tfjs-node] projectDir ${projectDir} is not a folder`);
    return 1;
  }
  const quiet = flags.has("--quiet");
  try {
    if (flags.has("--check")) {
      const s = buildStatus(projectDir);
      console.log(`[build-tfjs-node] ${s.built ? "built" : "not built"}: ${s.addon}`);
      return s.built ? 0 : 1;
    }
    const r = await buildTfjsNode(projectDir, {
      force: flags.has("--force"),
      verify: flags.has("--verify"),
      quiet,
    });
    console.log(
      `[build-tfjs-node] ${r.built ? "built" : "already built"}: ${r.addon} (${(r.ms / 1000).toFixed(1)} s)`,
    );
    return 0;
  } catch (e) {
    if (e instanceof BuildError) {
      console.error(`[build-tfjs-node] error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function invokedDirectly() {
  try {
    return (
      Boolean(process.argv[1]) &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error("[build-tfjs-node] unexpected error:", e);
      process.exit(1);
    },
  );
}
