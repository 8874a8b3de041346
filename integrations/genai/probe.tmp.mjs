import { getLlama, LlamaChatSession } from "node-llama-cpp";

const threads = Number(process.argv[2] ?? 2);
const t0 = Date.now();
const llama = await getLlama({
  gpu: false,
  build: "never",
  logLevel: "error",
  progressLogs: false,
  skipDownload: true,
  maxThreads: threads,
});
const t1 = Date.now();
const model = await llama.loadModel({ modelPath: "/tmp/genai-probe/model.gguf" });
const t2 = Date.now();
const context = await model.createContext({ contextSize: 1024, threads });
const t3 = Date.now();
console.log(
  "getLlama",
  t1 - t0,
  "load",
  t2 - t1,
  "ctx",
  t3 - t2,
  llama.gpu,
  llama.buildType,
  context.contextSize,
);
const schema = { type: "object", properties: { summary: { type: "string" } }, required: ["summary"] };
const grammar = await llama.createGrammarForJsonSchema(schema);
const session = new LlamaChatSession({ contextSequence: context.getSequence() });
let n = 0;
const s = Date.now();
const text = await session.prompt("Describe a random forest model trainer in one sentence.", {
  grammar,
  temperature: 0,
  seed: 7,
  maxTokens: 30,
  onTextChunk: (t) => {
    n++;
    process.stdout.write(`[${Date.now() - s}]${JSON.stringify(t)} `);
  },
});
console.log("\n", Date.now() - s, "ms", n, text);
await context.dispose();
await model.dispose();
await llama.dispose();
