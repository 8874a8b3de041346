/** Behaviour checks of a `data_connector`. */
import { join } from "node:path";
import type { DataConnector } from "@lolpop/core";
import { SAMPLE_TARGET, sampleTable } from "../sample-data.js";
import { type BehaviourEnv, expectThat, isTable, type NamedCheck } from "./support.js";

export function dataConnectorChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "save_data then get_data returns the same rows and columns",
      run: async () => {
        const root = env.tmp();
        const c = (await env.create(root)) as DataConnector;
        const table = sampleTable("classification", { roles: false });
        const target = env.connectorTarget ? env.connectorTarget(root) : join(root, "conformance.csv");
        const saved = await c.save_data(table, target);
        expectThat(
          saved && saved.rows === table.numRows,
          `save_data reported ${saved?.rows} rows, wrote ${table.numRows}`,
        );
        expectThat(typeof saved.uri === "string" && saved.uri, "save_data must return the uri it wrote");
        const back = await c.get_data(target);
        expectThat(isTable(back), "get_data must return a Table");
        expectThat(
          back.numRows === table.numRows,
          `get_data read ${back.numRows} rows, ${table.numRows} were saved`,
        );
        for (const name of table.columnNames)
          expectThat(
            back.has(name),
            `column ${name} was saved but not read back (got ${back.columnNames.join(", ")})`,
          );
        for (const name of ["x1", SAMPLE_TARGET]) {
          const a = table.values(name).map(String).join("|");
          const b = back.values(name).map(String).join("|");
          expectThat(a === b, `values of column ${name} changed in the round trip`);
        }
      },
    },
  ];
}
