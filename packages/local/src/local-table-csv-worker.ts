/**
 * Worker-thread entry of the CSV reader: parses the ranges of a file it is sent (see
 * `local-table-csv.ts`) and moves the typed columns back. It imports nothing from lolpop's core, so
 * it starts fast. A failure is answered with `{ type: "error", message, stack }`.
 */
import { parentPort } from "node:worker_threads";
import { type CsvWorkerRequest, parseCsvRequest } from "./local-table-csv.js";

const port = parentPort;
if (port) {
  port.on("message", (msg: CsvWorkerRequest) => {
    try {
      const { result, transfer } = parseCsvRequest(msg);
      port.postMessage(result, transfer);
    } catch (e) {
      const err = e as Error;
      port.postMessage({
        type: "error",
        message: err?.message ?? String(e),
        ...(err?.stack ? { stack: err.stack } : {}),
      });
    }
  });
}
