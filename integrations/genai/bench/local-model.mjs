#!/usr/bin/env node
// Benchmark of the local provider against node-llama-cpp used directly (the reference), side by side
// in one run on the default model (Gemma 3 270M Q4_K_M): load time, and generated tokens per second
// for the same prompt, grammar, temperature 0 and seed. Prints the ratios (lolpop / reference).
//
//   node bench/local-model.mjs [--runs N] [--threads N]
//
// The model is fetched first when it is not cached (scripts/fetch-model.mjs does the same).
import { getLlama, LlamaChatSession, LlamaLogLevel } from "node-llama-cpp";
import { createLocalModel, fetchDefaultModel } from "../dist/index.js";

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const runs = arg("--runs", 3);
const threads = arg("--threads", Number(process.env.LOLPOP_GENAI_THREADS) || 2);
const { path: modelPath } = await fetchDefaultModel();

const schema = {
  type: "object",
  properties: {
    kind: { type: "string", enum: ["model_trainer", "data_connector", "notifier"] },
    summary: { type: "string", maxLength: 160 },
  },
  required: ["kind", "summary"],
  additionalProperties: false,
};
const system = "You classify lolpop components. Answer in JSON.";
const user =
  "RandomForestModelTrainer trains a random forest classifier on a table. Which kind is it, and what does it do?";
const maxTokens = 64;

async function reference() {
  const t0 = Date.now();
  const llama = await getLlama({
    gpu: false,
    build: "never",
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
    maxThreads: threads,
  });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 2048, threads });
  const loadMs = Date.now() - t0;
  const grammar = await llama.createGrammarForJsonSchema(schema);
  let tokens = 0;
  let ms = 0;
  let text = "";
  for (let i = 0; i < runs; i++) {
    const sequence = context.getSequence();
    const session = new LlamaChatSession({ contextSequence: sequence });
    // As the provider does: Gemma's chat wrapper ignores the systemPrompt option, a system item in the
    // history is folded into the user turn.
    session.setChatHistory([{ type: "system", text: system }]);
    const s = Date.now();
    text = await session.prompt(user, { grammar, temperature: 0, seed: 0, maxTokens });
    ms += Date.now() - s;
    tokens += sequence.tokenMeter.usedOutputTokens;
    session.dispose({ disposeSequence: false });
    await sequence.dispose();
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { loadMs, tokens, ms, text };
}

async function lolpop() {
  const model = createLocalModel({ modelPath, threads, contextSize: 2048 });
  await model.load();
  let text = "";
  for (let i = 0; i < runs; i++) {
    const r = await model.generateObject({
      messages: [
        { role: "system", content: system },
        { role: "user", content: user },
      ],
      schema,
      maxTokens,
      temperature: 0,
      seed: 0,
    });
    text = r.text;
  }
  const s = model.stats();
  await model.close();
  return { loadMs: s.loadMs, tokens: s.completionTokens, ms: s.generationMs, text };
}

const ref = await reference();
const ours = await lolpop();
const tps = (r) => (r.tokens / r.ms) * 1000;
const line = (name, r) =>
  `${name.padEnd(28)} load ${String(r.loadMs).padStart(6)} ms   ${String(r.tokens).padStart(4)} tokens in ${String(r.ms).padStart(6)} ms = ${tps(r).toFixed(2)} tokens/s`;
console.log(
  `local model: ${modelPath} (${threads} threads, ${runs} answers of at most ${maxTokens} tokens each)`,
);
console.log(line("node-llama-cpp (reference)", ref));
console.log(line("@lolpop/genai local", ours));
console.log(
  `ratio lolpop/reference: load ${(ours.loadMs / ref.loadMs).toFixed(2)}x, tokens/s ${(tps(ours) / tps(ref)).toFixed(2)}x; same answer: ${ours.text === ref.text}`,
);
if (ours.text !== ref.text)
  console.log(`reference: ${JSON.stringify(ref.text)}\nlolpop:    ${JSON.stringify(ours.text)}`);
