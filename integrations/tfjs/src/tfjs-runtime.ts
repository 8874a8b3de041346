/**
 * Loads TensorFlow.js lazily and selects a backend: `tensorflow` (@tensorflow/tfjs-node, native
 * libtensorflow), `wasm` (@tensorflow/tfjs-backend-wasm) or `cpu` (plain JavaScript).
 *
 * TensorFlow.js has one active backend per process. Every fit and predict of this package calls
 * {@link activateBackend} first, so components configured with different backends can share a
 * process; tensors are moved between backends by tfjs when needed.
 */
import { type Logger, LolpopError } from "@lolpop/core";

/** The TensorFlow.js module (`@tensorflow/tfjs`). */
export type Tf = typeof import("@tensorflow/tfjs");

/** A concrete backend. */
export type BackendName = "tensorflow" | "wasm" | "cpu";
/** A configured backend: a concrete one, or `auto` (tensorflow, else wasm, else cpu). */
export type BackendChoice = BackendName | "auto";

/** The `@tensorflow/*` version this package is built and tested with (all tfjs packages on it). */
export const TFJS_VERSION = "4.22.0";

/** The command that builds @tensorflow/tfjs-node from the PyPI tensorflow-cpu wheel (run in the project). */
export const BUILD_COMMAND = "npx lolpop-build-tfjs-node";

/** How to get a working tfjs-node, for messages. */
export const BUILD_TFJS_NODE_HINT = `Build it with \`${BUILD_COMMAND}\` in your project (@lolpop/tfjs README, "tfjs-node")`;

let tfPromise: Promise<Tf> | undefined;
const backendState = new Map<BackendName, Promise<BackendProbe>>();

/** Result of trying to make a backend usable. */
export interface BackendProbe {
  ok: boolean;
  /** Why it is not usable. */
  reason?: string;
  /** The backend's package is installed but does not work (worth a warning). */
  broken?: boolean;
}

/** Imports `@tensorflow/tfjs` on first use (never at import of the plugin entry). */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    try {
      const mod = (await import("@tensorflow/tfjs")) as Tf & { default?: Tf };
      // A CommonJS package: its complete exports object is the default export.
      const tf = (mod.default && typeof mod.default.tensor === "function" ? mod.default : mod) as Tf;
      // tfjs warns on first use of the cpu backend in Node ("install tfjs-node"); the backend choice
      // is logged by this package instead.
      tf.env().set("PROD", true);
      return tf;
    } catch (cause) {
      tfPromise = undefined;
      throw new LolpopError({
        message: `could not load @tensorflow/tfjs: ${(cause as Error)?.message ?? String(cause)}. Reinstall @lolpop/tfjs (it depends on @tensorflow/tfjs ${TFJS_VERSION}).`,
        code: "dependency_missing",
        cause,
      });
    }
  })();
  return tfPromise;
}

function message(cause: unknown): string {
  const text = (cause as Error)?.message ?? String(cause);
  return text.split("\n")[0]!.trim();
}

function isNotInstalled(cause: unknown): boolean {
  const code = (cause as NodeJS.ErrnoException)?.code;
  const text = (cause as Error)?.message ?? "";
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    /@tensorflow\/tfjs-node['"]?(\s|$|')/.test(text)
  );
}

/** Makes `name` available (imports its package, initializes it); cached per process. */
export function probeBackend(name: BackendName): Promise<BackendProbe> {
  let p = backendState.get(name);
  if (!p) {
    p = (async (): Promise<BackendProbe> => {
      const tf = await loadTf();
      if (name === "tensorflow") {
        // libtensorflow logs its CPU feature banner at INFO level; keep the console quiet unless asked.
        process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
        const previous = tf.getBackend();
        try {
          await import("@tensorflow/tfjs-node");
        } catch (cause) {
          return {
            ok: false,
            broken: !isNotInstalled(cause),
            reason: isNotInstalled(cause)
              ? `@tensorflow/tfjs-node is not installed (optional; to use it: npm install @tensorflow/tfjs-node@${TFJS_VERSION} --ignore-scripts && ${BUILD_COMMAND})`
              : `@tensorflow/tfjs-node is installed but does not load: ${message(cause).replace(/\.$/, "")}. ${BUILD_TFJS_NODE_HINT}`,
          };
        }
        // Importing tfjs-node makes `tensorflow` the active backend; restore the previous one.
        if (previous && previous !== "tensorflow") await tf.setBackend(previous);
        if (!tf.findBackendFactory("tensorflow"))
          return {
            ok: false,
            reason:
              "@tensorflow/tfjs-node loaded but registered no `tensorflow` backend in this @tensorflow/tfjs (two copies of @tensorflow/tfjs? keep every @tensorflow/* package on the same version)",
          };
        return { ok: true };
      }
      if (name === "wasm") {
        try {
          await import("@tensorflow/tfjs-backend-wasm");
        } catch (cause) {
          return {
            ok: false,
            reason: `@tensorflow/tfjs-backend-wasm does not load (${message(cause)}); reinstall @lolpop/tfjs`,
          };
        }
        return tf.findBackendFactory("wasm")
          ? { ok: true }
          : { ok: false, reason: "@tensorflow/tfjs-backend-wasm registered no `wasm` backend" };
      }
      return tf.findBackendFactory("cpu") ? { ok: true } : { ok: false, reason: "no cpu backend registered" };
    })().catch((cause) => ({ ok: false, reason: message(cause) }));
    backendState.set(name, p);
  }
  return p;
}

/** What {@link resolveBackend} chose and why. */
export interface BackendResolution {
  backend: BackendName;
  /** One line for the log: the choice and, for `auto`, why better backends were passed over. */
  reason: string;
  /** A better backend is installed but broken: log the choice as a warning. */
  degraded: boolean;
}

/**
 * Resolves a configured backend to a usable one. `auto` tries tensorflow, then wasm, then cpu; an
 * explicit backend that cannot be used is an error saying how to fix it.
 */
export async function resolveBackend(choice: BackendChoice, path: string): Promise<BackendResolution> {
  if (choice !== "auto") {
    const probe = await probeBackend(choice);
    if (!probe.ok) {
      throw new LolpopError({
        message: `${path}: backend "${choice}" is not usable: ${probe.reason}. Use backend: auto to fall back to wasm or cpu.`,
        code: "backend_unavailable",
      });
    }
    return { backend: choice, reason: `backend ${choice} (configured)`, degraded: false };
  }
  const skipped: string[] = [];
  let degraded = false;
  for (const name of ["tensorflow", "wasm", "cpu"] as const) {
    const probe = await probeBackend(name);
    if (probe.ok) {
      return {
        backend: name,
        reason: `backend ${name} (auto${skipped.length ? `; ${skipped.join("; ")}` : ""})`,
        degraded,
      };
    }
    degraded ||= Boolean(probe.broken);
    skipped.push(`${name}: ${probe.reason}`);
  }
  throw new LolpopError({
    message: `${path}: no TensorFlow.js backend is usable: ${skipped.join("; ")}`,
    code: "backend_unavailable",
  });
}

let activeFits = 0;
let activeFitBackend: BackendName | undefined;

/** Makes `name` the active tfjs backend (it must have been resolved before). */
export async function activateBackend(tf: Tf, name: BackendName, logger?: Logger): Promise<void> {
  if (tf.getBackend() === name) return;
  if (activeFits > 0 && activeFitBackend && activeFitBackend !== name) {
    logger?.warn(
      `switching TensorFlow.js from backend ${activeFitBackend} to ${name} while a fit on ${activeFitBackend} is running: that fit continues on ${name} (one backend per process; configure the same backend everywhere to avoid this)`,
    );
  }
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new LolpopError({
      message: `TensorFlow.js could not initialize backend ${name}`,
      code: "backend_unavailable",
    });
  }
  await tf.ready();
}

/** Marks a fit running on `name` (for the backend-switch warning); returns the release function. */
export function beginFit(name: BackendName): () => void {
  activeFits++;
  activeFitBackend = name;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    activeFits--;
    if (activeFits === 0) activeFitBackend = undefined;
  };
}
