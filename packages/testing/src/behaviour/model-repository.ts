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
  ];
}
