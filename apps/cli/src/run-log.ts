/**
 * The log of a `lolpop run`, kept with its workflow run: the records the run's logger wrote
 * (redacted by core's logger before any sink sees them) as JSON lines in the run's
 * {@link RUN_LOG_ARTIFACT} artifact, so a finished or failed run can be read later (the run page of
 * `lolpop ui`). Bounded: past {@link RUN_LOG_MAX_RECORDS} records the first and the last halves
 * are kept, with a record in between saying how many were left out.
 */
import type { LoadedProject, LogRecord, Workflow } from "@lolpop/core";

/** The artifact name of a run's log. */
export const RUN_LOG_ARTIFACT = "log.jsonl";
/** Records kept at most. */
export const RUN_LOG_MAX_RECORDS = 10_000;

/** Collects a run's log records: pass `sink` to `createLogger({sinks})`. */
export interface RunLogCollector {
  sink(record: LogRecord): void;
  /** The JSON lines of the kept records (empty when none were written). */
  text(): string;
}

/** A collector keeping at most `max` records (the first and last halves beyond that). */
export function runLogCollector(max = RUN_LOG_MAX_RECORDS): RunLogCollector {
  const head: LogRecord[] = [];
  const tail: LogRecord[] = [];
  const half = Math.max(1, Math.floor(max / 2));
  let dropped = 0;
  return {
    sink(record) {
      if (head.length < half) head.push(record);
      else {
        tail.push(record);
        if (tail.length > max - half) {
          tail.shift();
          dropped++;
        }
      }
    },
    text() {
      const kept = dropped
        ? [
            ...head,
            {
              time: tail[0]?.time ?? new Date().toISOString(),
              level: "info",
              msg: `${dropped} log records left out (a run log keeps ${max})`,
            } satisfies LogRecord,
            ...tail,
          ]
        : [...head, ...tail];
      return kept.map((r) => `${JSON.stringify(r)}\n`).join("");
    },
  };
}

/**
 * Logs the collected records to the workflow run `runId` through the workflow's metadata tracker.
 * Returns a warning to print when that fails (the run's outcome stands either way), else undefined.
 */
export async function saveRunLog(
  loaded: LoadedProject,
  workflow: Workflow,
  runId: string | undefined,
  log: RunLogCollector,
): Promise<string | undefined> {
  const text = log.text();
  if (!runId || !text) return undefined;
  const { trackerOf } = await import("./reproduce.js");
  const tracker = trackerOf(loaded, workflow);
  if (!tracker) return undefined;
  try {
    await tracker.log_artifact(runId, RUN_LOG_ARTIFACT, text);
    return undefined;
  } catch (e) {
    return `warning: the log of run ${runId} was not kept (${(e as Error).message})`;
  }
}
