// Logs metrics with a long flush interval and lets the process end without end_run or flush: the
// tracker's beforeExit hook must send the buffered points. Prints the run id.
// Usage: node exit-flush.mjs <tracking_uri> <experiment>
import { instantiateComponent } from "@lolpop/core";
import { mlflowMetadataTracker } from "../dist/index.js";

const [uri, experiment] = process.argv.slice(2);
const tracker = await instantiateComponent(mlflowMetadataTracker, {
  config: { tracking_uri: uri, experiment_name: experiment, flush_interval_ms: 600_000 },
});
const run = await tracker.start_run({ name: "exits-without-end-run" });
for (let step = 0; step < 5; step++) await tracker.log_metrics(run.id, { x: step }, { step });
process.stdout.write(`${run.id}\n${tracker.pending_metrics()}\n`);
