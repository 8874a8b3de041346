// Runs the predict step of a lolpop.yaml in a fresh process, with the built @lolpop/mlflow: the
// champion is resolved and downloaded from MLflow with nothing cached. Prints the summary as JSON.
// Usage: node predict-fresh.mjs <lolpop.yaml>
import { readFileSync } from "node:fs";
import { createWorkflow, silentLogger, validateConfigText } from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import "../dist/index.js";

const file = process.argv[2];
const { plan } = validateConfigText(readFileSync(file, "utf8"), file);
const wf = await createWorkflow(plan, { logger: silentLogger });
const summary = await wf.run("run_step", "predict");
process.stdout.write(JSON.stringify(summary));
