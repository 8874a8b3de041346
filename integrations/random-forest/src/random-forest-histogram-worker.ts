/**
 * Worker-thread entry of the histogram engine. It receives the shared training data (typed arrays
 * on SharedArrayBuffers, so nothing is copied) and fits the trees it is asked for, or predicts a range
 * of rows with a shared forest. It imports no `@lolpop/core`, so it starts fast.
 *
 * Messages in: `{ type: "bin", ... }` (thresholds and bins of one feature), `{ type: "init-trees",
 * data, params }`, `{ type: "tree", index, seed }`, `{ type: "predict", forest, columns, start, end }`.
 * Messages out: `{ type: "bin", feature, thresholds }`, `{ type: "tree", index, tree }`,
 * `{ type: "predict", start, end, out }`, `{ type: "error", message, stack }`.
 */
import { parentPort } from "node:worker_threads";
import { binColumn, binThresholds } from "./random-forest-histogram-binning.js";
import { accumulatePredictions, type PackedForest } from "./random-forest-histogram-forest.js";
import {
  HistogramTreeBuilder,
  type HistogramTreeData,
  type HistogramTreeParams,
} from "./random-forest-histogram-tree.js";

/** A message to the worker. */
export type WorkerRequest =
  | {
      type: "bin";
      feature: number;
      column: Float64Array;
      maxBins: number;
      sample: Int32Array | undefined;
      /** Shared output: the feature's bins go to `bins[feature * column.length ..]`. */
      bins: Uint8Array;
    }
  | { type: "init-trees"; data: HistogramTreeData; params: HistogramTreeParams }
  | { type: "tree"; index: number; seed: number }
  /** Drops the tree builder (and its references to the shared training data). */
  | { type: "release" }
  | {
      type: "predict";
      forest: PackedForest;
      columns: Float64Array[];
      start: number;
      end: number;
      /** Echoed back: where the rows go in the caller's output. */
      offset: number;
    };

/** A message from the worker. */
export type WorkerResponse =
  | { type: "bin"; feature: number; thresholds: Float64Array }
  | { type: "tree"; index: number; tree: import("./random-forest-histogram-tree.js").HistogramTree }
  | { type: "predict"; offset: number; out: Float64Array }
  | { type: "error"; message: string; stack?: string };

let builder: HistogramTreeBuilder | undefined;

const port = parentPort;
if (port) {
  port.on("message", (msg: WorkerRequest) => {
    try {
      if (msg.type === "bin") {
        const thresholds = binThresholds(msg.column, msg.maxBins, msg.sample);
        const n = msg.column.length;
        binColumn(msg.column, thresholds, 0, thresholds.length, msg.bins, msg.feature * n);
        const reply: WorkerResponse = { type: "bin", feature: msg.feature, thresholds };
        port.postMessage(reply, [thresholds.buffer as ArrayBuffer]);
      } else if (msg.type === "init-trees") {
        builder = new HistogramTreeBuilder(msg.data, msg.params);
      } else if (msg.type === "release") {
        builder = undefined;
      } else if (msg.type === "tree") {
        if (!builder) throw new Error("tree requested before init-trees");
        const tree = builder.build(msg.seed);
        const reply: WorkerResponse = { type: "tree", index: msg.index, tree };
        port.postMessage(reply, [
          tree.feature.buffer,
          tree.threshold.buffer,
          tree.right.buffer,
          tree.missingLeft.buffer,
          tree.values.buffer,
          tree.importance.buffer,
        ] as ArrayBuffer[]);
      } else if (msg.type === "predict") {
        const out = new Float64Array((msg.end - msg.start) * msg.forest.valueWidth);
        accumulatePredictions(msg.forest, msg.columns, msg.start, msg.end, out);
        const reply: WorkerResponse = { type: "predict", offset: msg.offset, out };
        port.postMessage(reply, [out.buffer as ArrayBuffer]);
      }
    } catch (e) {
      const err = e as Error;
      const reply: WorkerResponse = {
        type: "error",
        message: err?.message ?? String(e),
        ...(err?.stack ? { stack: err.stack } : {}),
      };
      port.postMessage(reply);
    }
  });
}
