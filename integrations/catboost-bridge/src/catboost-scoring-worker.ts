/**
 * Worker thread of the native scorer (see catboost-scoring-pool.ts): rebuilds the compiled model
 * from its parts (kept while the same parts object id comes again) and scores the rows it is sent.
 * Messages: `{ type: "raw", id, parts?, columns, n, offset }` → `{ type: "raw", offset, out }`, or
 * `{ type: "error", message, stack }`.
 */
import { parentPort } from "node:worker_threads";
import { type NativeScorer, type ScorerParts, scorerFromParts } from "./catboost-json-scorer.js";

/** A block of rows to score. */
export interface ScoringRequest {
  type: "raw";
  /** Identifies the model: a worker keeps the last one it rebuilt. */
  id: number;
  parts: ScorerParts;
  columns: Float64Array[];
  n: number;
  offset: number;
}

/** A worker's answer. */
export type ScoringResponse =
  | { type: "raw"; offset: number; out: Float64Array }
  | { type: "error"; message: string; stack?: string };

const port = parentPort;
if (port) {
  let current: { id: number; scorer: NativeScorer } | undefined;
  port.on("message", (msg: ScoringRequest) => {
    try {
      if (current?.id !== msg.id) current = { id: msg.id, scorer: scorerFromParts(msg.parts) };
      const out = current.scorer.raw(msg.columns, msg.n);
      const reply: ScoringResponse = { type: "raw", offset: msg.offset, out };
      port.postMessage(reply, [out.buffer as ArrayBuffer]);
    } catch (e) {
      const err = e as Error;
      const reply: ScoringResponse = {
        type: "error",
        message: err?.message ?? String(e),
        ...(err?.stack ? { stack: err.stack } : {}),
      };
      port.postMessage(reply);
    }
  });
}
