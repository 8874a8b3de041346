import { defineConfig } from "tsup";

export default defineConfig({
  // The worker script is its own entry: the histogram engine starts it with `new Worker(url)`.
  entry: ["src/index.ts", "src/random-forest-histogram-worker.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
});
