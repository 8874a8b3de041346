/** Behaviour checks of a `data_splitter`. */
import type { DataSplitter } from "@lolpop/core";
import { sampleTable } from "../sample-data.js";
import { type BehaviourEnv, expectThat, ids, isTable, type NamedCheck } from "./support.js";

export function dataSplitterChecks(env: BehaviourEnv): NamedCheck[] {
  return env.problemTypes.map((pt) => ({
    name: `split_data (${pt}) puts every row in exactly one split, the same way twice`,
    run: async () => {
      const c = (await env.create()) as DataSplitter;
      const table = sampleTable(pt);
      const a = await c.split_data(table);
      const parts = [a.train, a.valid, ...(a.test ? [a.test] : [])];
      for (const [i, p] of parts.entries())
        expectThat(isTable(p), `split ${["train", "valid", "test"][i]} must be a Table`);
      const total = parts.reduce((s, p) => s + p.numRows, 0);
      expectThat(total === table.numRows, `splits hold ${total} rows, the input has ${table.numRows}`);
      const seen = parts.flatMap(ids);
      if (seen.length)
        expectThat(new Set(seen).size === table.numRows, "a row appears in two splits or in none");
      const b = await ((await env.create()) as DataSplitter).split_data(table);
      expectThat(
        a.train.fingerprint() === b.train.fingerprint() && a.valid.fingerprint() === b.valid.fingerprint(),
        "two splits of the same table with the same config differ (the split must be deterministic for its seed)",
      );
    },
  }));
}
