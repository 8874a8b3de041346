// A plugin package made by `lolpop create plugin`, with its dependencies linked from the workspace
// (a stand-in for `npm install` without a registry), for the test-generation tests.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { packageFolder } from "./cli-helpers.js";

export interface ScaffoldedPlugin {
  root: string;
  dir: string;
  type: string;
  /** The definition's source file, relative to `dir`. */
  source: string;
  exportName: string;
}

/** Runs `lolpop create plugin lolpop-plugin-knn` in a temp folder and links its devDependencies. */
export function scaffoldPlugin(): ScaffoldedPlugin {
  const root = mkdtempSync(join(tmpdir(), "lolpop-genai-plugin-"));
  const cli = join(packageFolder("@lolpop/cli"), "bin", "lolpop.js");
  const r = spawnSync(process.execPath, [cli, "create", "plugin", "lolpop-plugin-knn"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" },
  });
  if (r.status !== 0) throw new Error(`lolpop create plugin failed:\n${r.stdout}\n${r.stderr}`);
  const dir = join(root, "lolpop-plugin-knn");
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  const nm = join(dir, "node_modules");
  for (const name of Object.keys(pkg.devDependencies)) {
    const link = join(nm, name);
    mkdirSync(dirname(link), { recursive: true });
    if (!existsSync(link)) symlinkSync(packageFolder(name), link);
  }
  return {
    root,
    dir,
    type: "KnnModelTrainer",
    source: "src/knn-model-trainer.ts",
    exportName: "knnModelTrainer",
  };
}
