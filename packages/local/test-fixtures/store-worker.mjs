// Child-process worker for the store tests. It imports the TypeScript sources, so it cannot run as
// is: the tests bundle it with esbuild (see test-fixtures/bundle.ts) and run the bundle with node.
//
//   node worker.mjs register <storeDir> <model> <srcDir> [metricsJson]  -> prints the ModelVersionInfo
//   node worker.mjs promote <storeDir> <model> <version>
//   node worker.mjs lock-increment <dir> <counterFile> <times>          -> read-modify-write under withLock
//   node worker.mjs track <storeDir> <name> <metricCount>               -> one run with params/metrics/tags
//
// LOLPOP_TEST_CRASH_AT makes the repository kill itself at the named point.
import { readFile, writeFile } from "node:fs/promises";
import { createLocalMetadataTracker } from "../src/local-metadata-tracker.js";
import { createLocalModelRepository } from "../src/local-model-repository.js";
import { withLock } from "../src/local-store.js";

const [cmd, ...args] = process.argv.slice(2);

async function main() {
  switch (cmd) {
    case "register": {
      const [store, name, src, metrics] = args;
      const repo = createLocalModelRepository(store);
      const info = await repo.register_model({
        name,
        dir: src,
        metrics: metrics ? JSON.parse(metrics) : {},
        run_id: `pid-${process.pid}`,
      });
      return info;
    }
    case "promote": {
      const [store, name, version] = args;
      await createLocalModelRepository(store).promote_model(name, Number(version));
      return { ok: true };
    }
    case "lock-increment": {
      const [dir, counter, times] = args;
      for (let i = 0; i < Number(times); i++) {
        await withLock(dir, async () => {
          const n = Number(await readFile(counter, "utf8").catch(() => "0"));
          await new Promise((r) => setTimeout(r, 1));
          await writeFile(counter, String(n + 1));
        });
      }
      return { ok: true };
    }
    case "track": {
      const [store, name, count] = args;
      const tracker = createLocalMetadataTracker(store);
      const run = await tracker.start_run({ name, tags: { worker: name } });
      for (let i = 0; i < Number(count); i++) {
        await tracker.log_metrics(run.id, { loss: 1 / (i + 1), [`m${i}`]: i }, { step: i });
        await tracker.log_params(run.id, { [`p${i}`]: i });
        await tracker.log_tags(run.id, { [`t${i}`]: String(i) });
      }
      await tracker.log_artifact(run.id, "notes.txt", `written by ${name}`);
      await tracker.log_dataset(run.id, { name: "shared", fingerprint: "same-for-all", rows: 1, columns: 1 });
      await tracker.end_run(run.id, "FINISHED");
      return run;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

main().then(
  (out) => {
    process.stdout.write(`${JSON.stringify(out)}\n`);
  },
  (e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
