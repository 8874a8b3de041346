// TfjsModelTrainer on the wasm and cpu backends (always available): learning, determinism,
// save/load, early stopping, class weights, and errors.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CancelledError,
  ConfigError,
  createLineageRecorder,
  DataError,
  getPlugin,
  instantiateComponent,
  type ModelTrainer,
  resolveType,
  StoreError,
  Table,
} from "@lolpop/core";
import * as tf from "@tensorflow/tfjs";
import plugin, {
  type TfjsModel,
  type TfjsModelMeta,
  type TfjsTrainingParamsInput,
  tfjsModelTrainer,
} from "../src/index.js";
import { createProgress, epochMetrics } from "../src/tfjs-progress.js";
import {
  accuracy,
  blobs,
  features,
  makeTrainer,
  maxDiff,
  r2,
  recordingLogger,
  SMOOTH_PARAMS,
  SPIRAL_PARAMS,
  slow,
  smooth,
  spirals,
  target,
  tempDir,
} from "./helpers.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("plugin", () => {
  it("registers TfjsModelTrainer without loading TensorFlow.js", () => {
    expect(plugin.name).toBe("@lolpop/tfjs");
    expect(getPlugin("@lolpop/tfjs")).toBe(plugin);
    expect(resolveType("TfjsModelTrainer")?.kind).toBe("model_trainer");
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(manifest.lolpop.components).toEqual([{ kind: "model_trainer", type: "TfjsModelTrainer" }]);
    // Every @tensorflow/* package on one exact version; tfjs-node an optional peer.
    expect(manifest.dependencies["@tensorflow/tfjs"]).toBe("4.22.0");
    expect(manifest.dependencies["@tensorflow/tfjs-backend-wasm"]).toBe("4.22.0");
    expect(manifest.peerDependencies["@tensorflow/tfjs-node"]).toBe("4.22.0");
    expect(manifest.peerDependenciesMeta["@tensorflow/tfjs-node"]).toEqual({ optional: true });
    expect(manifest.dependencies["@tensorflow/tfjs-node"]).toBeUndefined();
  });
});

describe("config", () => {
  slow("applies defaults and reports every bad value with its path", async () => {
    await expect(
      makeTrainer({
        training_params: {
          layers: [{ units: 0, activation: "nope" as "relu", dropout: 1 }],
          learning_rate: -1,
          optimizer: "adamw" as "adam",
        },
        backend: "gpu" as "cpu",
      }),
    ).rejects.toThrow(ConfigError);
    try {
      await makeTrainer({ training_params: { epochs: 0, early_stopping: { patience: 0 } as never } });
      throw new Error("expected a ConfigError");
    } catch (e) {
      expect(ConfigError.isInstance(e)).toBe(true);
      const text = (e as Error).message;
      expect(text).toMatch(/training_params\.epochs/);
      expect(text).toMatch(/early_stopping/);
    }
  });

  slow("takes a tuner's params over the config and rejects unknown ones", async () => {
    const trainer = await makeTrainer({ backend: "cpu", training_params: { epochs: 50 } });
    const data = spirals(60, 1);
    const model = (await trainer.fit({
      problem_type: "classification",
      X: features(data),
      y: target(data),
      params: { epochs: 2, layers: [{ units: 4 }], seed: 5 },
    })) as TfjsModel;
    expect(model.params.epochs).toBe(2);
    expect(model.params.seed).toBe(5);
    expect(model.params.layers).toEqual([{ units: 4, activation: "relu", dropout: 0 }]);
    expect(model.training.epochs_trained).toBe(2);
    await expect(
      trainer.fit({
        problem_type: "classification",
        X: features(data),
        y: target(data),
        params: { epoch: 3 },
      }),
    ).rejects.toThrow(/unknown parameter "epoch"/);
  });
});

describe("backend auto without a working tfjs-node", () => {
  // A child process whose module resolution hides tfjs-node, or replaces it with one whose native
  // addon is missing (what an install without its install script gives); the real install is untouched.
  const choose = (mode: "missing" | "broken", backend = "auto") => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "./test/fixtures/register-hide-tfjs-node.mjs",
        "test/fixtures/backend-choice.mjs",
        backend,
      ],
      {
        cwd: pkgDir,
        encoding: "utf8",
        env: { ...process.env, LOLPOP_TEST_TFJS_NODE: mode },
        timeout: 60_000,
      },
    );
    if (r.status !== 0) throw new Error(`backend-choice.mjs failed (run pnpm build first?):\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      backend?: string;
      error?: string;
      environment: unknown[];
      lines: Array<{ level: string; msg: string }>;
    };
  };

  slow("falls back to wasm and says how to get tfjs-node: info when absent, a warning when not built", () => {
    const missing = choose("missing");
    expect(missing.backend).toBe("wasm");
    expect(missing.lines).toEqual([
      {
        level: "info",
        msg: expect.stringMatching(
          /backend wasm \(auto; tensorflow: @tensorflow\/tfjs-node is not installed \(optional/,
        ),
      },
    ]);
    const broken = choose("broken");
    expect(broken.backend).toBe("wasm");
    expect(broken.lines).toEqual([
      {
        level: "warn",
        msg: expect.stringMatching(
          /installed but does not load: .*tfjs_binding\.node.*npx lolpop-build-tfjs-node/,
        ),
      },
    ]);
    const explicit = choose("broken", "tensorflow");
    expect(explicit.backend).toBeUndefined();
    expect(explicit.error).toMatch(
      /backend "tensorflow" is not usable: .*npx lolpop-build-tfjs-node.*Use backend: auto/,
    );
  });

  slow(
    "lolpop doctor's environment check fails backend tensorflow without tfjs-node, and warns for a broken one under auto",
    () => {
      const explicit = choose("missing", "tensorflow");
      expect(explicit.environment).toEqual([
        {
          message: expect.stringMatching(
            /backend tensorflow \(configured\) is not usable: @tensorflow\/tfjs-node is not installed/,
          ),
          fix: expect.stringMatching(/npx lolpop-build-tfjs-node\), or set backend: auto/),
        },
      ]);
      expect(choose("missing", "wasm").environment).toEqual([]);
      expect(choose("broken").environment).toEqual([
        expect.objectContaining({
          level: "warn",
          message: expect.stringMatching(/training runs on backend wasm/),
        }),
      ]);
    },
  );
});

describe("wasm backend", () => {
  slow("learns two spirals above 95% accuracy", async () => {
    const trainer = await makeTrainer({ backend: "wasm", training_params: SPIRAL_PARAMS });
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
    expect(model.backend).toBe("wasm");
    const p = await model.predict(features(test));
    expect(accuracy(test, p)).toBeGreaterThan(0.95);
    // Binary: a sigmoid output, proba columns in `classes` order, rows summing to 1.
    expect(model.meta.output).toBe("sigmoid");
    if (p.problem_type !== "classification") throw new Error("classification expected");
    expect(p.classes).toEqual(["inner", "outer"]);
    for (let i = 0; i < test.numRows; i++) expect(p.proba![2 * i]! + p.proba![2 * i + 1]!).toBeCloseTo(1, 12);
  });

  slow("fits a smooth function with R² above 0.9 (target standardized and restored)", async () => {
    const trainer = await makeTrainer({ backend: "wasm", training_params: SMOOTH_PARAMS });
    const train = smooth(1000, 11);
    const valid = smooth(300, 12);
    const test = smooth(500, 13);
    const model = (await trainer.fit({
      problem_type: "regression",
      X: features(train),
      y: target(train),
      valid: { X: features(valid), y: target(valid) },
    })) as TfjsModel;
    expect(model.meta.target_scaling!.mean).toBeGreaterThan(9);
    expect(r2(test, await model.predict(features(test)))).toBeGreaterThan(0.9);
    const last = model.training.history.at(-1)!;
    expect(last.val_rmse).toBeGreaterThan(0);
    expect(last.val_accuracy).toBeUndefined();
  });

  slow("trains a multiclass softmax on one-hot targets", async () => {
    const trainer = await makeTrainer({
      backend: "wasm",
      training_params: {
        layers: [{ units: 16, activation: "relu", dropout: 0.1 }],
        epochs: 30,
        learning_rate: 0.01,
      },
    });
    const train = blobs(600, 21);
    const test = blobs(300, 22);
    const model = (await trainer.fit({
      problem_type: "classification",
      X: features(train),
      y: target(train),
      classes: ["C", "B", "A"],
    })) as TfjsModel;
    expect(model.meta.output).toBe("softmax");
    expect(model.network.outputs[0]!.shape).toEqual([null, 3]);
    const p = await model.predict(features(test));
    if (p.problem_type !== "classification") throw new Error("classification expected");
    expect(p.classes).toEqual(["C", "B", "A"]);
    expect(accuracy(test, p)).toBeGreaterThan(0.9);
    for (let i = 0; i < test.numRows; i++) {
      const row = Array.from(p.proba!.subarray(3 * i, 3 * i + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(p.labels[i]).toBe(row.indexOf(Math.max(...row)));
    }
  });
});

describe("determinism", () => {
  const params: TfjsTrainingParamsInput = {
    layers: [
      { units: 16, activation: "relu", dropout: 0.2 },
      { units: 8, activation: "tanh", dropout: 0 },
    ],
    epochs: 4,
    batch_size: 16,
    learning_rate: 0.01,
    early_stopping: false,
  };
  const train = spirals(160, 31);
  const test = spirals(100, 32);

  for (const backend of ["cpu", "wasm"] as const) {
    slow(`gives identical networks for one seed on ${backend}, different ones for another seed`, async () => {
      const fit = async (seed: number) => {
        const trainer = await makeTrainer({ backend, training_params: params });
        const model = (await trainer.fit({
          problem_type: "classification",
          X: features(train),
          y: target(train),
          seed,
        })) as TfjsModel;
        return { model, p: await model.predict(features(test)) };
      };
      const a = await fit(1);
      const b = await fit(1);
      const c = await fit(2);
      expect(a.model.backend).toBe(backend);
      expect(maxDiff(a.p, b.p)).toBe(0);
      expect(a.model.training.history).toEqual(
        b.model.training.history.map((h, i) => ({ ...h, ms: a.model.training.history[i]!.ms })),
      );
      expect(maxDiff(a.p, c.p)).toBeGreaterThan(1e-4);
    });
  }
});

describe("save and load", () => {
  slow("round-trips to identical predictions through a TensorFlow.js layers model folder", async () => {
    const trainer = await makeTrainer({
      backend: "wasm",
      training_params: { epochs: 5, layers: [{ units: 8 }] },
    });
    const train = blobs(300, 41);
    const model = (await trainer.fit({
      problem_type: "classification",
      X: features(train),
      y: target(train),
    })) as TfjsModel;
    const dir = tempDir("save");
    await model.save(dir);
    expect(readdirSync(dir).sort()).toEqual(["lolpop-tfjs.json", "model.json", "weights.bin"]);
    const meta = JSON.parse(readFileSync(`${dir}/lolpop-tfjs.json`, "utf8")) as TfjsModelMeta;
    expect(meta).toMatchObject({
      format: "lolpop.tfjs.model",
      format_version: 1,
      trainer: "TfjsModelTrainer",
      created_by: { package: "@lolpop/tfjs", tfjs: "4.22.0" },
      feature_names: ["f1", "f2", "f3", "f4"],
      classes: ["A", "B", "C"],
    });
    expect(meta.training.history).toHaveLength(5);
    const modelJson = JSON.parse(readFileSync(`${dir}/model.json`, "utf8"));
    expect(modelJson.format).toBe("layers-model");
    expect(modelJson.weightsManifest[0].paths).toEqual(["weights.bin"]);

    const loaded = (await (await makeTrainer({ backend: "wasm" })).load(dir)) as TfjsModel;
    const test = blobs(200, 42);
    expect(maxDiff(await model.predict(features(test)), await loaded.predict(features(test)))).toBe(0);
    expect(loaded.params).toEqual(model.params);
    expect(loaded.classes).toEqual(["A", "B", "C"]);
    // Column order at predict does not matter.
    const shuffled = features(test).select(["f3", "f1", "f4", "f2"]);
    expect(maxDiff(await loaded.predict(features(test)), await loaded.predict(shuffled))).toBe(0);
    // A plain TensorFlow.js program can read the folder with tf.loadLayersModel.
    const plain = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: new Uint8Array(readFileSync(`${dir}/weights.bin`)).buffer,
      }),
    );
    expect(plain.inputs[0]!.shape).toEqual([null, 4]);
    plain.dispose();
    model.dispose();
    loaded.dispose();
  });

  slow("reports missing, damaged and too-new model folders", async () => {
    const trainer = await makeTrainer({ backend: "cpu" });
    const empty = tempDir("empty");
    mkdirSync(empty, { recursive: true });
    await expect(trainer.load(empty)).rejects.toThrow(
      /no lolpop-tfjs\.json in .*: it is not a model saved by TfjsModelTrainer, or its saving did not finish/,
    );
    await expect(trainer.load(empty)).rejects.toBeInstanceOf(StoreError);

    const model = (await trainer.fit({
      problem_type: "regression",
      X: features(smooth(50, 1)),
      y: target(smooth(50, 1)),
      params: { epochs: 1 },
    })) as TfjsModel;
    const dir = tempDir("damaged");
    await model.save(dir);
    const meta = JSON.parse(readFileSync(`${dir}/lolpop-tfjs.json`, "utf8"));
    writeFileSync(`${dir}/lolpop-tfjs.json`, JSON.stringify({ ...meta, format_version: 99 }));
    await expect(trainer.load(dir)).rejects.toThrow(/format version 99.*upgrade @lolpop\/tfjs/);
    writeFileSync(`${dir}/lolpop-tfjs.json`, JSON.stringify({ ...meta, feature_names: ["a", "b"] }));
    await expect(trainer.load(dir)).rejects.toThrow(/impute_means does not match feature_names/);
    writeFileSync(`${dir}/lolpop-tfjs.json`, JSON.stringify(meta));
    writeFileSync(`${dir}/weights.bin`, new Uint8Array(3));
    await expect(trainer.load(dir)).rejects.toThrow(/does not hold a loadable TensorFlow\.js layers model/);
  });
});

describe("training behaviour", () => {
  slow("stops early on the validation loss and restores the best weights", async () => {
    // Few, noisy rows and a big network: the validation loss turns up quickly.
    const train = spirals(60, 51, 1.5);
    const valid = spirals(60, 52, 1.5);
    const trainer = await makeTrainer({
      backend: "wasm",
      training_params: {
        layers: [{ units: 128, activation: "relu", dropout: 0 }],
        learning_rate: 0.05,
        epochs: 300,
        batch_size: 8,
        early_stopping: { patience: 5, min_delta: 0, restore_best_weights: true },
      },
    });
    const model = (await trainer.fit({
      problem_type: "classification",
      X: features(train),
      y: target(train),
      valid: { X: features(valid), y: target(valid) },
    })) as TfjsModel;
    const t = model.training;
    expect(t.stopped_early).toBe(true);
    expect(t.epochs_trained).toBe(t.best_epoch! + 5);
    expect(t.restored_best_weights).toBe(true);
    const bestLoss = Math.min(...t.history.map((h) => h.val_loss!));
    expect(t.history[t.best_epoch! - 1]!.val_loss).toBe(bestLoss);
    // The restored network scores the best epoch's validation loss.
    const p = await model.predict(features(valid));
    if (p.problem_type !== "classification") throw new Error("classification expected");
    const y = target(valid);
    let loss = 0;
    for (let i = 0; i < valid.numRows; i++) {
      const label = y.type === "categorical" ? y.dictionary[y.codes[i]!] : "";
      const q = Math.min(1 - 1e-7, Math.max(1e-7, p.proba![2 * i + 1]!));
      loss -= label === "outer" ? Math.log(q) : Math.log(1 - q);
    }
    expect(loss / valid.numRows).toBeCloseTo(bestLoss, 5);
  });

  slow("weights classes: balanced weights raise the minority class's recall", async () => {
    // 10% minority, overlapping classes.
    const rows = blobs(1200, 61);
    const y = rows.values("y");
    const keep: number[] = [];
    let minority = 0;
    y.forEach((label, i) => {
      if (label === "A") keep.push(i);
      else if (label === "B" && minority++ % 9 === 0) keep.push(i);
    });
    const data = rows.take(keep);
    const recallB = async (class_weight: "balanced" | null) => {
      const trainer = await makeTrainer({
        backend: "wasm",
        training_params: { layers: [], epochs: 20, learning_rate: 0.01, class_weight },
      });
      const model = await trainer.fit({ problem_type: "classification", X: features(data), y: target(data) });
      const p = await model.predict(features(data));
      if (p.problem_type !== "classification") throw new Error("classification expected");
      let hit = 0;
      let total = 0;
      data.values("y").forEach((label, i) => {
        if (label === "B") {
          total++;
          if (p.classes[p.labels[i]!] === "B") hit++;
        }
      });
      return hit / total;
    };
    const plain = await recallB(null);
    const balanced = await recallB("balanced");
    expect(balanced).toBeGreaterThan(plain);
    await expect(
      (await makeTrainer({ backend: "cpu", training_params: { class_weight: { Z: 2 } } })).fit({
        problem_type: "classification",
        X: features(data),
        y: target(data),
      }),
    ).rejects.toThrow(/class_weight names label\(s\) "Z"/);
  });

  slow("logs one line per epoch and records the history in the lineage", async () => {
    const { logger, lines } = recordingLogger();
    const lineage = createLineageRecorder({ config: {}, plugins: [], coreVersion: "test" });
    const trainer = (await instantiateComponent(tfjsModelTrainer, {
      config: { backend: "cpu", progress: "log", training_params: { epochs: 3, layers: [{ units: 4 }] } },
      logger,
      lineage,
      path: "train.model_trainer",
    })) as ModelTrainer;
    const train = spirals(50, 71);
    const valid = spirals(30, 72);
    await trainer.fit({
      problem_type: "classification",
      X: features(train),
      y: target(train),
      valid: { X: features(valid), y: target(valid) },
    });
    const epochs = lines.filter((l) => /^epoch \d+\/3: loss=/.test(l.msg));
    expect(epochs.map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(epochs[0]!.msg).toMatch(/val_loss=\d.*val_accuracy=\d/);
    expect(lines.some((l) => /backend cpu \(configured\)/.test(l.msg))).toBe(true);
    const snap = lineage.snapshot();
    expect(snap.seeds["train.model_trainer"]).toBe(42);
    const recorded = snap.extra["tfjs:train.model_trainer"] as { history: unknown[]; backend: string };
    expect(recorded.backend).toBe("cpu");
    expect(recorded.history).toHaveLength(3);
  });

  it("draws a progress bar on a terminal and log lines elsewhere", () => {
    const { logger, lines } = recordingLogger("debug");
    const out: string[] = [];
    const tty = { isTTY: true, columns: 200, write: (s: string) => out.push(s) };
    const bar = createProgress({
      mode: "auto",
      logger,
      epochs: 2,
      label: "train.model_trainer",
      stream: tty,
    });
    bar.batch(1, 1, 4, 0.7);
    bar.epoch({ epoch: 1, loss: 0.5, val_loss: 0.6, val_accuracy: 0.8, ms: 10 });
    bar.done("finished");
    const clearLine = "\r\u001b[2K"; // carriage return + erase line
    expect(out[0]!.startsWith(clearLine)).toBe(true);
    expect(out[0]!.slice(clearLine.length)).toMatch(
      /^train\.model_trainer \[=*>? *\] epoch 1\/2 batch 1\/4 loss=0\.7000$/,
    );
    expect(out[1]).toMatch(/\[=+>? *\] epoch 1\/2 .*\| loss=0\.5000 val_loss=0\.6000 val_accuracy=0\.8000/);
    expect(out.at(-1)).toBe("\n");
    expect(lines.map((l) => l.msg)).toEqual([
      "epoch 1/2: loss=0.5000 val_loss=0.6000 val_accuracy=0.8000",
      "finished",
    ]);
    const pipe = { isTTY: false, write: (s: string) => out.push(s) };
    const before = out.length;
    const log = createProgress({ mode: "auto", logger, epochs: 2, label: "x", stream: pipe });
    log.batch(1, 1, 4, 0.7);
    log.epoch({ epoch: 2, loss: 0.5, ms: 1500 });
    expect(out.length).toBe(before);
    expect(lines.at(-1)!.msg).toBe("epoch 2/2: loss=0.5000 (1.50 s)");

    // When the lolpop CLI draws its own progress line on the terminal, auto logs instead of a bar.
    process.env.LOLPOP_PROGRESS_LINE = "1";
    try {
      const n = out.length;
      const underCli = createProgress({ mode: "auto", logger, epochs: 2, label: "x", stream: tty });
      underCli.epoch({ epoch: 1, loss: 0.25, ms: 1000 });
      expect(out.length).toBe(n);
      expect(lines.at(-1)!.msg).toBe("epoch 1/2: loss=0.2500 (1.00 s)");
    } finally {
      delete process.env.LOLPOP_PROGRESS_LINE;
    }
  });

  it("turns an epoch into tracker metrics", () => {
    expect(epochMetrics({ epoch: 3, loss: 0.5, val_loss: 0.6, val_rmse: 2, ms: 12 })).toEqual({
      "epoch.loss": 0.5,
      "epoch.ms": 12,
      "epoch.val_loss": 0.6,
      "epoch.val_rmse": 2,
    });
  });

  slow("stops when the signal is aborted", async () => {
    const controller = new AbortController();
    const trainer = await makeTrainer({
      backend: "cpu",
      training_params: { epochs: 1000, layers: [{ units: 4 }] },
    });
    const data = spirals(200, 81);
    setTimeout(() => controller.abort("test abort"), 200);
    await expect(
      trainer.fit({
        problem_type: "classification",
        X: features(data),
        y: target(data),
        signal: controller.signal,
      }),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("bad input", () => {
  slow("names categorical features, missing columns and bad targets", async () => {
    const trainer = await makeTrainer({ backend: "cpu", training_params: { epochs: 1 } });
    const cat = Table.fromColumns(
      { a: [1, 2, 3, 4], color: ["r", "g", "r", "g"], y: [0, 1, 0, 1] },
      { roles: { y: "target" } },
    );
    await expect(
      trainer.fit({ problem_type: "classification", X: features(cat), y: target(cat) }),
    ).rejects.toThrow(/"color" is categorical.*feature_transformer/);
    const data = spirals(40, 91);
    const model = await trainer.fit({ problem_type: "classification", X: features(data), y: target(data) });
    await expect(model.predict(data.select(["x1"]))).rejects.toThrow(/missing feature column\(s\) "x2"/);
    await expect(
      trainer.fit({ problem_type: "regression", X: features(data), y: target(data) }),
    ).rejects.toThrow(DataError);
    const one = Table.fromColumns({ a: [1, 2], y: ["x", "x"] }, { roles: { y: "target" } });
    await expect(
      trainer.fit({ problem_type: "classification", X: features(one), y: target(one) }),
    ).rejects.toThrow(/at least 2 classes/);
    await expect(
      (await makeTrainer({ backend: "cpu", training_params: { class_weight: "balanced" } })).fit({
        problem_type: "regression",
        X: features(smooth(20, 1)),
        y: target(smooth(20, 1)),
      }),
    ).rejects.toThrow(/class_weight only applies to classification/);
  });

  slow("imputes missing feature values with the training means and warns", async () => {
    const { logger, lines } = recordingLogger();
    const trainer = await makeTrainer({ backend: "cpu", training_params: { epochs: 2, layers: [] } }, logger);
    const t = smooth(100, 5);
    const a = Float64Array.from(t.numeric("a"));
    a[3] = Number.NaN;
    const withNaN = t.withColumn("a", a);
    const model = (await trainer.fit({
      problem_type: "regression",
      X: features(withNaN),
      y: target(withNaN),
    })) as TfjsModel;
    expect(lines.some((l) => /1 missing feature value/.test(l.msg))).toBe(true);
    const p = await model.predict(features(withNaN));
    if (p.problem_type !== "regression") throw new Error("regression expected");
    expect(Number.isFinite(p.values[3]!)).toBe(true);
  });
});
