/** Behaviour checks of a `model_repository`. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelRepository } from "@lolpop/core";
import { type BehaviourEnv, expectThat, type NamedCheck } from "./support.js";

export function modelRepositoryChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "registers versions, moves the champion alias, records approval, downloads files",
      run: async () => {
        const root = env.tmp();
        const r = (await env.create(root)) as ModelRepository;
        const src = join(root, "bundle");
        mkdirSync(src, { recursive: true });
        writeFileSync(join(src, "model.txt"), "v1");
        const v1 = await r.register_model({ name: "conformance", dir: src, metrics: { "test.f1": 0.5 } });
        writeFileSync(join(src, "model.txt"), "v2");
        const v2 = await r.register_model({ name: "conformance", dir: src });
        expectThat(
          v1.version === 1 && v2.version === 2,
          `versions must count 1, 2 (got ${v1.version}, ${v2.version})`,
        );
        const got = await r.get_model_version("conformance", 1);
        expectThat(
          got.version === 1 && got.name === "conformance",
          "get_model_version returned another version",
        );
        const list = await r.list_versions("conformance");
        expectThat(
          list.map((v) => v.version).join(",") === "1,2",
          `list_versions must be oldest first (got ${list.map((v) => v.version).join(",")})`,
        );
        expectThat(
          (await r.get_alias("conformance", "champion")) === undefined,
          "a new model has no champion",
        );
        await r.promote_model("conformance", 1);
        expectThat(
          (await r.get_alias("conformance", "champion"))?.version === 1,
          "promote_model(1) did not make v1 the champion",
        );
        await r.promote_model("conformance", 2);
        expectThat(
          (await r.get_alias("conformance", "champion"))?.version === 2,
          "promote_model(2) did not move the alias",
        );
        expectThat(
          (await r.list_versions("conformance")).length === 2,
          "promoting must keep the previous champion",
        );
        expectThat(
          (await r.check_approval("conformance", 2)) === false,
          "a version is not approved before approve_model",
        );
        await r.approve_model("conformance", 2, { approved_by: "conformance" });
        expectThat(
          (await r.check_approval("conformance", 2)) === true,
          "check_approval is false after approve_model",
        );
        const dir = await r.download_model("conformance", 1);
        expectThat(
          readFileSync(join(dir, "model.txt"), "utf8") === "v1",
          "download_model(1) does not give v1's files",
        );
        let threw = false;
        try {
          await r.get_model_version("conformance", 99);
        } catch {
          threw = true;
        }
        expectThat(threw, "get_model_version of a missing version must throw");
      },
    },
    {
      name: "promote_model is a compare-and-set with expected_champion, and says what it did",
      run: async () => {
        const root = env.tmp();
        const r = (await env.create(root)) as ModelRepository;
        const src = join(root, "bundle");
        mkdirSync(src, { recursive: true });
        for (const v of ["v1", "v2", "v3"]) {
          writeFileSync(join(src, "model.txt"), v);
          await r.register_model({ name: "cas", dir: src });
        }
        const champion = async () => (await r.get_alias("cas", "champion"))?.version ?? null;
        const first = await r.promote_model("cas", 1, { expected_champion: null, reason: "first" });
        expectThat(
          first?.promoted === true && first.champion === 1 && first.previous === null,
          `promote_model(1, expected_champion: null) on a model without champion must promote and return {promoted: true, champion: 1, previous: null} (got ${JSON.stringify(first)})`,
        );
        const stale = await r.promote_model("cas", 2, { expected_champion: null });
        expectThat(
          stale?.promoted === false && stale.champion === 1 && (await champion()) === 1,
          `promote_model(2, expected_champion: null) while v1 is champion must move nothing and return {promoted: false, champion: 1} (got ${JSON.stringify(stale)}, champion v${await champion()})`,
        );
        const wrong = await r.promote_model("cas", 3, { expected_champion: 2 });
        expectThat(
          wrong?.promoted === false && wrong.champion === 1 && (await champion()) === 1,
          `promote_model(3, expected_champion: 2) while v1 is champion must move nothing (got ${JSON.stringify(wrong)}, champion v${await champion()})`,
        );
        const right = await r.promote_model("cas", 3, { expected_champion: 1, promoted_by: "conformance" });
        expectThat(
          right?.promoted === true &&
            right.champion === 3 &&
            right.previous === 1 &&
            (await champion()) === 3,
          `promote_model(3, expected_champion: 1) while v1 is champion must promote (got ${JSON.stringify(right)}, champion v${await champion()})`,
        );
        const again = await r.promote_model("cas", 3);
        expectThat(
          again?.promoted === false && again.champion === 3,
          `promoting the champion again moves nothing and returns {promoted: false, champion: 3} (got ${JSON.stringify(again)})`,
        );
      },
    },
    {
      name: "optional lifecycle methods: list_models, promotion history, archive_model, delete_model_version (never an alias target)",
      run: async () => {
        const root = env.tmp();
        const r = (await env.create(root)) as ModelRepository;
        const has = (m: keyof ModelRepository) => typeof r[m] === "function";
        if (
          !has("list_models") &&
          !has("get_promotion_history") &&
          !has("archive_model") &&
          !has("delete_model_version")
        )
          return; // an older repository: the methods are optional
        const src = join(root, "bundle");
        mkdirSync(src, { recursive: true });
        for (const v of ["v1", "v2", "v3"]) {
          writeFileSync(join(src, "model.txt"), v);
          await r.register_model({ name: "lifecycle", dir: src });
        }
        await r.promote_model("lifecycle", 1, { promoted_by: "ann", reason: "first" });
        await r.promote_model("lifecycle", 2, { promoted_by: "bob", reason: "better" });
        if (r.list_models) {
          const names = await r.list_models();
          expectThat(
            Array.isArray(names) && names.includes("lifecycle"),
            `list_models must list registered models (got ${JSON.stringify(names)})`,
          );
          expectThat(
            names.join("\n") === [...names].sort().join("\n"),
            `list_models must be sorted (got ${JSON.stringify(names)})`,
          );
        }
        const history = async () => (r.get_promotion_history ? r.get_promotion_history("lifecycle") : []);
        if (r.get_promotion_history) {
          const h = await history();
          const moves = h.map((e) => [e.alias, e.previous, e.version, e.by, e.reason]);
          expectThat(
            JSON.stringify(moves) ===
              JSON.stringify([
                ["champion", null, 1, "ann", "first"],
                ["champion", 1, 2, "bob", "better"],
              ]),
            `get_promotion_history must list every move, oldest first, with who and why (got ${JSON.stringify(moves)})`,
          );
          expectThat(
            h.every((e) => !Number.isNaN(Date.parse(e.at))),
            `every history entry has an ISO time (got ${JSON.stringify(h.map((e) => e.at))})`,
          );
        }
        const refuses = async (what: string, fn: () => Promise<unknown>) => {
          let code: unknown;
          try {
            await fn();
          } catch (e) {
            code = (e as { code?: unknown }).code ?? "thrown";
          }
          expectThat(
            code === "version_is_alias_target",
            `${what} of the champion must throw an error with code version_is_alias_target (got ${code === undefined ? "no error" : String(code)})`,
          );
          expectThat(
            (await r.get_alias("lifecycle", "champion"))?.version === 2,
            `${what} of the champion must leave it champion`,
          );
        };
        if (r.archive_model) {
          await refuses("archive_model", () => r.archive_model!("lifecycle", 2));
          await r.archive_model("lifecycle", 1, { archived_by: "cat", reason: "old" });
          const tags = (await r.get_model_version("lifecycle", 1)).tags;
          expectThat(
            tags["lolpop.archived"] === "true" &&
              tags["lolpop.archived_by"] === "cat" &&
              tags["lolpop.archive_reason"] === "old",
            `archive_model must tag the version lolpop.archived=true with who and why (got ${JSON.stringify(tags)})`,
          );
        }
        if (r.delete_model_version) {
          await refuses("delete_model_version", () => r.delete_model_version!("lifecycle", 2));
          await r.delete_model_version("lifecycle", 3);
          const left = (await r.list_versions("lifecycle")).map((v) => v.version).join(",");
          expectThat(left === "1,2", `after deleting v3, list_versions must give 1,2 (got ${left})`);
          let threw = false;
          try {
            await r.get_model_version("lifecycle", 3);
          } catch {
            threw = true;
          }
          expectThat(threw, "get_model_version of a deleted version must throw");
          if (r.get_promotion_history)
            expectThat((await history()).length === 2, "deleting a version must keep the promotion history");
        }
      },
    },
  ];
}
