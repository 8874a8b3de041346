import { createLocalModel } from "./dist/index.js";

const m = createLocalModel({ threads: Number(process.argv[2] ?? 1), contextSize: 2048 });
await m.load();
console.log("load", m.stats());
const schema = {
  type: "object",
  properties: {
    summary: { type: "string" },
    options: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" }, description: { type: "string" } },
        required: ["name", "description"],
        additionalProperties: false,
      },
      maxItems: 3,
    },
  },
  required: ["summary", "options"],
  additionalProperties: false,
};
const req = {
  messages: [
    { role: "system", content: "You write documentation for lolpop components. Answer in JSON." },
    {
      role: "user",
      content:
        "Component RandomForestModelTrainer trains a random forest. Config options: n_estimators (number of trees, default 100), max_depth (default 8). Describe it.",
    },
  ],
  schema,
  maxTokens: 120,
  seed: 1,
};
for (const i of [1, 2]) {
  const s = Date.now();
  try {
    const r = await m.generateObject(req);
    console.log(i, Date.now() - s, JSON.stringify(r));
  } catch (e) {
    console.log(i, Date.now() - s, e.message);
  }
  console.log(m.stats());
}
await m.close();
