/** Behaviour checks of a `data_transformer`. */
import type { Table } from "@lolpop/core";
import { sampleTable } from "../sample-data.js";
import { type BehaviourEnv, expectThat, isTable, type NamedCheck } from "./support.js";

export function dataTransformerChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "transform returns a Table and leaves its input unchanged",
      run: async () => {
        const c = (await env.create()) as { transform(t: Table): Promise<Table> };
        const table = sampleTable("classification");
        const before = table.fingerprint();
        const out = await c.transform(table);
        expectThat(isTable(out), "transform must return a Table");
        expectThat(table.fingerprint() === before, "transform changed its input table");
      },
    },
  ];
}
