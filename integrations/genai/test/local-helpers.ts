// Shared by the tests that run the real local model (Gemma 3 270M, fetched by the jest global setup).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLocalModel, defaultModelStatus, type LocalLanguageModel } from "../src/index.js";
import { modelStatusFile } from "./model-status.mjs";

export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Time allowed for a test or hook that loads or runs the local model (2 shared cores). */
export const MODEL_TIMEOUT = 240_000;

/** Throws, with the global setup's output, when the default model is not in the cache. */
export function requireDefaultModel(): string {
  const status = defaultModelStatus();
  if (status.ready) return status.path;
  const file = modelStatusFile(pkgDir);
  const setup = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  throw new Error(
    `The default local model is not in the cache (${status.path}), so the local provider cannot be tested.\n` +
      `The jest global setup ran scripts/fetch-model.mjs: ${setup ? setup.output : "no status file (was the global setup skipped?)"}\n` +
      "Run `node integrations/genai/scripts/fetch-model.mjs` to see the error.",
  );
}

/**
 * The local model as the tests use it: one thread (jest runs other test files on the same two cores,
 * and llama.cpp threads spin while they wait for each other, so more threads are slower there) and a
 * 2048-token context.
 */
export function testModel(): LocalLanguageModel {
  return createLocalModel({ modelPath: requireDefaultModel(), threads: 1, contextSize: 2048 });
}

/** One line with the load time and generation speed, for the test log and the report. */
export function speedLine(model: LocalLanguageModel): string {
  const s = model.stats();
  const tps = s.generationMs ? (s.completionTokens / s.generationMs) * 1000 : 0;
  return `local model ${model.model}: load ${s.loadMs ?? "?"} ms; ${s.completions} answers, ${s.promptTokens} prompt + ${s.completionTokens} generated tokens in ${s.generationMs} ms (${tps.toFixed(1)} generated tokens/s, prompt evaluation included)`;
}
