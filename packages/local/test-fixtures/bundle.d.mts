/** Types of test-fixtures/bundle.mjs (test helpers for the store tests). */

/** Bundles test-fixtures/store-worker.mjs (sources and @lolpop/core included) under the OS temp folder; returns the bundle's path. */
export function bundleWorker(): Promise<string>;

/** Result of one worker process. */
export interface WorkerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Parsed JSON printed by the worker, when it succeeded. */
  json?: any;
}

/** Runs the bundled worker with `args` (and extra environment variables); resolves once the process has exited. */
export function runWorker(
  bundle: string,
  args: string[],
  env?: Record<string, string>,
): Promise<WorkerResult>;
