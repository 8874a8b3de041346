import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  recordableConfig,
  SECRET_PLACEHOLDER_KEY,
  secretHash,
  sha256File,
  snapshotDigestsOf,
} from "./reproduce-record.js";

describe("recordableConfig", () => {
  it("keeps env references by name, hashes literal secrets and collects the variables read", () => {
    const env = new Set<string>();
    const out = recordableConfig(
      {
        tracking: {
          api_key: "sk-literal-123",
          token: `\${env:MLFLOW_TOKEN}`,
          uri: `http://\${env:HOST:-localhost}:5000`,
        },
        steps: [{ password: 42 }, { name: "x" }],
        plain: "data/train.csv",
      },
      env,
    );
    expect(out).toEqual({
      tracking: {
        api_key: { [SECRET_PLACEHOLDER_KEY]: secretHash("sk-literal-123") },
        token: `\${env:MLFLOW_TOKEN}`,
        uri: `http://\${env:HOST:-localhost}:5000`,
      },
      steps: [{ password: { [SECRET_PLACEHOLDER_KEY]: secretHash(42) } }, { name: "x" }],
      plain: "data/train.csv",
    });
    expect(JSON.stringify(out)).not.toContain("sk-literal-123");
    expect([...env].sort()).toEqual(["HOST", "MLFLOW_TOKEN"]);
  });

  it("hashes a secret-looking key's value that mixes a literal with an env reference", () => {
    const out = recordableConfig({ api_key: `prefix-\${env:K}` }, new Set()) as Record<string, unknown>;
    expect(out.api_key).toEqual({ [SECRET_PLACEHOLDER_KEY]: secretHash(`prefix-\${env:K}`) });
  });
});

describe("snapshotDigestsOf / sha256File", () => {
  it("lists only snapshotted files, and hashes files like a blob store names them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lolpop-reprec-"));
    try {
      await writeFile(join(dir, "a.csv"), "a,b\n1,2\n");
      expect(await sha256File(join(dir, "a.csv"))).toBe(
        createHash("sha256").update("a,b\n1,2\n").digest("hex"),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const d = (snapshot: boolean, sha256: string) => ({
      connector: "c",
      via: "path" as const,
      file: "f",
      sha256,
      bytes: 1,
      snapshot,
    });
    expect(snapshotDigestsOf({ data: [d(true, "a".repeat(64)), d(false, "b".repeat(64))] })).toEqual([
      "a".repeat(64),
    ]);
    expect(snapshotDigestsOf({})).toEqual([]);
  });
});
