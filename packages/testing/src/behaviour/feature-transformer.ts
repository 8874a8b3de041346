/** Behaviour checks of a `feature_transformer`. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FeatureTransformer } from "@lolpop/core";
import { categoricalColumn } from "@lolpop/core";
import { sampleTable } from "../sample-data.js";
import { type BehaviourEnv, expectThat, isTable, type NamedCheck } from "./support.js";

export function featureTransformerChecks(env: BehaviourEnv): NamedCheck[] {
  const fitted = async (root?: string) => {
    const c = (await env.create(root)) as FeatureTransformer;
    const table = sampleTable("classification");
    const out = await c.fit_transform(table);
    return { c, table, out };
  };
  return [
    {
      name: "fit_transform returns numeric feature columns, one row per input row",
      run: async () => {
        const { table, out } = await fitted();
        expectThat(isTable(out), "fit_transform must return a Table");
        expectThat(out.numRows === table.numRows, `${out.numRows} rows out for ${table.numRows} in`);
        for (const name of out.columnsWithRole("feature"))
          expectThat(
            out.column(name).type === "numeric",
            `feature column ${name} is not numeric after the transform`,
          );
      },
    },
    {
      name: "transform handles a category never seen in fit",
      run: async () => {
        const { c, table } = await fitted();
        const fresh = table.withColumn(
          "color",
          categoricalColumn(table.values("color").map((v, i) => (i % 4 === 0 ? "purple" : v))),
        );
        const out = await c.transform(fresh);
        expectThat(out.numRows === fresh.numRows, "transform dropped rows with an unseen category");
      },
    },
    {
      name: "save then load in a new instance transforms identically",
      run: async () => {
        const root = env.tmp();
        const { c, table } = await fitted(root);
        const dir = join(root, "state");
        mkdirSync(dir, { recursive: true });
        const a = await c.transform(table);
        await c.save(dir);
        const other = (await env.create(root)) as FeatureTransformer;
        await other.load(dir);
        const b = await other.transform(table);
        expectThat(
          a.fingerprint() === b.fingerprint(),
          "the loaded transformer gives another output than the saved one",
        );
      },
    },
  ];
}
