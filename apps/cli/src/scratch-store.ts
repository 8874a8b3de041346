/**
 * `lolpop test` on a scratch copy of the store: the project's state folder and every local store
 * folder the config names (`dir:`) are copied to a temporary folder, and predictions go there too,
 * so a test run registers, promotes and predicts without touching the live store or the
 * predictions. `--store live` tests against the live store instead.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { WorkflowPlan } from "@lolpop/core";
import { ExitError } from "./format.js";

/** Kinds that keep the project's runs and models: a test must never write to the live one. */
const STORE_KINDS = ["metadata_tracker", "model_repository"];

/** Where a test run keeps its state, and the config overrides that send it there. */
export interface ScratchStore {
  /** The temporary folder (removed by `cleanup`). */
  dir: string;
  /** The project's state folder for the run (a copy of `<root>/.lolpop`). */
  stateDir: string;
  /** `path=value` overrides: store folders and predictions `output_path` moved into `dir`. */
  overrides: string[];
  /** Removes the temporary folder. */
  cleanup(): void;
}

/**
 * Copies the stores of a validated plan to a scratch folder. `root` is the project root (the
 * config's folder), `stateDir` the live state folder (default `<root>/.lolpop`).
 * @throws ExitError (2) when a store is not a folder that can be copied (e.g. an MLflow server):
 *   the message says to pass `--store live`.
 */
export function prepareScratchStore(
  plan: WorkflowPlan,
  root: string,
  stateDir = join(root, ".lolpop"),
): ScratchStore {
  const components = [...plan.components, ...plan.pipelines.flatMap((p) => p.components)];
  const remote = components.filter((c) => STORE_KINDS.includes(c.kind) && typeof c.config.dir !== "string");
  if (remote.length)
    throw new ExitError(
      2,
      `lolpop test runs on a scratch copy of the store, and ${remote.map((c) => `${c.path} (${c.type})`).join(", ")} keeps its data where it cannot be copied: pass --store live to test against it (a test run registers versions, may promote one and writes predictions), or point the test at a local store with --set`,
    );
  const dir = mkdtempSync(join(tmpdir(), "lolpop-test-store-"));
  try {
    const scratchState = join(dir, "state");
    // Not the step cache's blobs and entries (they can be large): a test run computes every step.
    const skip = new Set([join(stateDir, "blobs"), join(stateDir, "cache")]);
    if (existsSync(stateDir))
      cpSync(stateDir, scratchState, { recursive: true, filter: (src) => !skip.has(src) });
    else mkdirSync(scratchState, { recursive: true });
    const overrides: string[] = [];
    const copied = new Map<string, string>();
    for (const c of components) {
      const d = c.config.dir;
      if (typeof d !== "string" || d === ".lolpop") continue;
      const live = isAbsolute(d) ? resolve(d) : resolve(root, d);
      let copy = copied.get(live);
      if (!copy) {
        copy = join(dir, "stores", String(copied.size));
        if (existsSync(live)) cpSync(live, copy, { recursive: true });
        else mkdirSync(copy, { recursive: true });
        copied.set(live, copy);
      }
      overrides.push(`${c.path}.config.dir=${JSON.stringify(copy)}`);
    }
    for (const p of plan.pipelines) {
      const out = p.config.output_path;
      if (typeof out !== "string") continue;
      overrides.push(
        `${p.attr}.config.output_path=${JSON.stringify(join(dir, "predictions", p.attr, out.replace(/^(\.\.[/\\])+|^[/\\]+/g, "")))}`,
      );
    }
    return {
      dir,
      stateDir: scratchState,
      overrides,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
