// The tensorflow backend (@tensorflow/tfjs-node built by scripts/build-tfjs-node.mjs in the jest
// global setup), and predictions across backends. These tests never skip: when the build failed
// on a platform it supports, they fail with the build's output.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deserialize, serialize } from "node:v8";
import type { ModelTrainer, Predictions, Table } from "@lolpop/core";
import * as tf from "@tensorflow/tfjs";
import type { TfjsModel } from "../src/index.js";
import { buildStatusFile } from "./build-status.mjs";
import {
  accuracy,
  blobs,
  features,
  makeTrainer,
  maxDiff,
  r2,
  recordingLogger,
  SLOW_TIMEOUT_MS,
  SMOOTH_PARAMS,
  SPIRAL_PARAMS,
  slow,
  smooth,
  spirals,
  target,
  tempDir,
} from "./helpers.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = join(pkgDir, "scripts", "build-tfjs-node.mjs");
const supported = process.platform === "linux" && process.arch === "x64";

function runScript(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 600_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("scripts/build-tfjs-node.mjs", () => {
  slow("explains what is missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "lolpop-tfjs-noproject-"));
    const r = runScript([empty]);
    expect(r.code).toBe(1);
    if (supported) {
      expect(r.out).toMatch(/@tensorflow\/tfjs-node is not installed in .*--ignore-scripts/);
    } else {
      expect(r.out).toMatch(/supported on Linux x86-64 only/);
    }
    const usage = runScript(["--frobnicate"]);
    expect(usage.code).toBe(2);
    expect(usage.out).toMatch(/unknown option\(s\) --frobnicate\nusage: build-tfjs-node/);
  });
});

if (!supported) {
  describe("tfjs-node", () => {
    slow("is reported as unsupported on this platform", () => {
      const r = runScript([pkgDir]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/supported on Linux x86-64 only/);
    });
  });
} else {
  describe("tfjs-node (tensorflow backend)", () => {
    beforeAll(() => {
      const check = runScript([pkgDir, "--check"]);
      if (check.code !== 0) {
        const file = buildStatusFile(pkgDir);
        const status = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
        throw new Error(
          `@tensorflow/tfjs-node is not built, so the tensorflow backend cannot be tested.\n` +
            `The jest global setup ran scripts/build-tfjs-node.mjs: ${status ? status.output : "no status file (was the global setup skipped?)"}\n` +
            "Run `node integrations/tfjs/scripts/build-tfjs-node.mjs integrations/tfjs` to see the error.",
        );
      }
    }, SLOW_TIMEOUT_MS);

    slow("is already built: running the script again rebuilds nothing", () => {
      const first = runScript([pkgDir, "--quiet"]);
      expect(first.code).toBe(0);
      const addon = /already built: (\S+\.node) /.exec(first.out)?.[1];
      expect(addon !== undefined && existsSync(addon)).toBe(true);
      const builtAt = statSync(addon!).mtimeMs;
      const again = runScript([pkgDir, "--quiet"]);
      expect(again.code).toBe(0);
      expect(again.out).toContain(`already built: ${addon} `);
      expect(statSync(addon!).mtimeMs).toBe(builtAt);
    });

    slow(
      "is what backend auto picks, on TensorFlow 2.21 from the wheel, and the choice is logged",
      async () => {
        const { logger, lines } = recordingLogger();
        const trainer = (await makeTrainer({ backend: "auto" }, logger)) as ModelTrainer & {
          backend(): Promise<string>;
        };
        expect(await trainer.backend()).toBe("tensorflow");
        expect(lines.some((l) => /TensorFlow\.js backend tensorflow \(auto\)/.test(l.msg))).toBe(true);
        await tf.setBackend("tensorflow");
        const binding = (tf.backend() as unknown as { binding: { TF_Version: string } }).binding;
        expect(binding.TF_Version).toBe("2.21.0");
      },
    );

    slow("learns two spirals above 95% accuracy", async () => {
      const trainer = await makeTrainer({ backend: "tensorflow", training_params: SPIRAL_PARAMS });
      const train = spirals(500, 1);
      const valid = spirals(200, 2);
      const test = spirals(600, 3);
      const model = (await trainer.fit({
        problem_type: "classification",
        X: features(train),
        y: target(train),
        valid: { X: features(valid), y: target(valid) },
        seed: 7,
      })) as TfjsModel;
      expect(model.backend).toBe("tensorflow");
      expect(model.training.backend).toBe("tensorflow");
      expect(accuracy(test, await model.predict(features(test)))).toBeGreaterThan(0.95);
    });

    slow("fits a smooth function with R² above 0.9", async () => {
      const trainer = await makeTrainer({ backend: "tensorflow", training_params: SMOOTH_PARAMS });
      const train = smooth(1000, 11);
      const valid = smooth(300, 12);
      const test = smooth(500, 13);
      const model = await trainer.fit({
        problem_type: "regression",
        X: features(train),
        y: target(train),
        valid: { X: features(valid), y: target(valid) },
      });
      expect(r2(test, await model.predict(features(test)))).toBeGreaterThan(0.9);
    });

    slow("gives the same predictions as cpu and wasm (within 1e-4) for the same saved weights", async () => {
      const cases: Array<{ problem: "classification" | "regression"; train: Table; test: Table }> = [
        { problem: "classification", train: blobs(300, 5), test: blobs(400, 6) },
        { problem: "classification", train: spirals(300, 5), test: spirals(400, 6) },
        { problem: "regression", train: smooth(300, 5), test: smooth(400, 6) },
      ];
      for (const [i, c] of cases.entries()) {
        // Trained on one backend (rotating), then loaded on all three.
        const trainedOn = (["tensorflow", "wasm", "cpu"] as const)[i]!;
        const trainer = await makeTrainer({
          backend: trainedOn,
          training_params: {
            layers: [
              { units: 32, activation: "relu", dropout: 0.1 },
              { units: 16, activation: "tanh" },
            ],
            epochs: 8,
            learning_rate: 0.01,
          },
        });
        const model = await trainer.fit({
          problem_type: c.problem,
          X: features(c.train),
          y: target(c.train),
        });
        const dir = tempDir(`xb-${i}`);
        await model.save(dir);
        const predictions: Record<string, Predictions> = {};
        for (const backend of ["cpu", "wasm", "tensorflow"] as const) {
          const loaded = (await (await makeTrainer({ backend })).load(dir)) as TfjsModel;
          expect(loaded.backend).toBe(backend);
          predictions[backend] = await loaded.predict(features(c.test));
          loaded.dispose();
        }
        expect(maxDiff(predictions.cpu!, predictions.wasm!)).toBeLessThan(1e-4);
        expect(maxDiff(predictions.cpu!, predictions.tensorflow!)).toBeLessThan(1e-4);
        expect(maxDiff(predictions.wasm!, predictions.tensorflow!)).toBeLessThan(1e-4);
        expect(maxDiff(predictions.cpu!, await model.predict(features(c.test)))).toBeLessThan(1e-4);
      }
    });

    slow("saves folders that tfjs-node's own file:// loader reads", async () => {
      const trainer = await makeTrainer({ backend: "wasm", training_params: { epochs: 3 } });
      const train = blobs(200, 7);
      const model = await trainer.fit({
        problem_type: "classification",
        X: features(train),
        y: target(train),
      });
      const dir = tempDir("filescheme");
      await model.save(dir);
      const tfnode = (await import("@tensorflow/tfjs-node")) as unknown as typeof tf;
      const net = await tfnode.loadLayersModel(`file://${dir}/model.json`);
      const test = blobs(50, 8);
      const x = tf.tensor2d(
        Float32Array.from({ length: 50 * 4 }, (_, k) => test.numeric(`f${(k % 4) + 1}`)[Math.floor(k / 4)]!),
        [50, 4],
        "float32",
      );
      const theirs = (net.predict(x) as tf.Tensor).dataSync();
      const ours = await model.predict(features(test));
      if (ours.problem_type !== "classification") throw new Error("classification expected");
      let diff = 0;
      for (let i = 0; i < theirs.length; i++) diff = Math.max(diff, Math.abs(theirs[i]! - ours.proba![i]!));
      expect(diff).toBeLessThan(1e-6);
      x.dispose();
      net.dispose();
    });

    slow("shares Node's typed arrays with the test realm (jest's realm problem is handled)", async () => {
      await tf.setBackend("tensorflow");
      // The native addon returns Node-realm typed arrays.
      const t = tf.tensor1d([1, 2, 3], "float32");
      expect(t.dataSync()).toBeInstanceOf(Float32Array);
      // tfjs infers dtypes with instanceof: an Int32Array made by Node (v8.deserialize) stays int32.
      const fromNode = deserialize(serialize(new Int32Array([4, 5, 6]))) as Int32Array;
      expect(tf.tensor(fromNode).dtype).toBe("int32");
      t.dispose();
    });
  });
}
