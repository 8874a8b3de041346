// The conformance suite run against every first-party component: @lolpop/local, @lolpop/random-forest
// and @lolpop/workflows (its runners and pipelines get the definition and config checks, and run end
// to end through runWorkflow).
import { createRequire } from "node:module";
import { dirname } from "node:path";
import {
  localDataConnector,
  localDataSplitter,
  localDataTransformer,
  localFeatureTransformer,
  localHyperparameterTuner,
  localMetadataTracker,
  localModelRepository,
  localPlugin,
  stdoutNotifier,
} from "@lolpop/local";
import { randomForestModelTrainer, randomForestPlugin } from "@lolpop/random-forest";
import workflowsPlugin, { type WorkflowSummary } from "@lolpop/workflows";
import { describeConformance, describePluginPackage, runWorkflow } from "./index.js";

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

describeConformance(localDataConnector);
describeConformance(localDataTransformer, { config: { steps: [{ drop: ["x3"] }] } });
describeConformance(localDataSplitter);
describeConformance(localFeatureTransformer);
describeConformance(localHyperparameterTuner, {
  config: { training_params: { RandomForestModelTrainer: { n_estimators: [3, 6], max_depth: 4 } } },
});
describeConformance(localMetadataTracker);
describeConformance(localModelRepository);
describeConformance(stdoutNotifier);
describeConformance(randomForestModelTrainer, {
  config: { training_params: { n_estimators: 10, max_depth: 6 } },
});
for (const def of workflowsPlugin.components) describeConformance(def);

describePluginPackage({ dir: packageDir("@lolpop/local"), plugin: localPlugin });
describePluginPackage({ dir: packageDir("@lolpop/random-forest"), plugin: randomForestPlugin });
describePluginPackage({ dir: packageDir("@lolpop/workflows"), plugin: workflowsPlugin });

describe("runWorkflow: the standard workflow in a temp project", () => {
  for (const [runner, metric] of [
    ["ClassificationRunner", "f1_macro"],
    ["RegressionRunner", "rmse"],
  ] as const) {
    it(`${runner} trains, registers and promotes a model on sample data`, async () => {
      const problem = runner === "ClassificationRunner" ? "classification" : "regression";
      const { sampleTable, writeCsv, createTempProject } = await import("./index.js");
      const project = createTempProject();
      try {
        writeCsv(project.path("train.csv"), sampleTable(problem, { rows: 120, roles: false }));
        const { result, lineage } = await runWorkflow({
          project,
          config: {
            runner,
            config: { target: "target", index: "id", model_name: "sample" },
            components: {
              metadata_tracker: "LocalMetadataTracker",
              model_repository: "LocalModelRepository",
            },
            pipelines: { process: "OfflineProcess", train: "OfflineTrain", deploy: "OfflineDeploy" },
            process: {
              components: { data_connector: "LocalDataConnector" },
              data_connector: { config: { path: "train.csv" } },
            },
            train: {
              config: { perf_metric: metric },
              components: {
                data_splitter: "LocalDataSplitter",
                feature_transformer: "LocalFeatureTransformer",
                model_trainer: "RandomForestModelTrainer",
              },
              model_trainer: { config: { training_params: { n_estimators: 10, max_depth: 6 } } },
            },
          },
        });
        const s = result as WorkflowSummary;
        expect(s.train?.version).toBe(1);
        expect(s.train?.perf_metric).toBe(metric);
        expect(s.deploy?.promoted).toBe(true);
        expect(lineage.plugins.map((p) => p.name).sort()).toEqual([
          "@lolpop/local",
          "@lolpop/random-forest",
          "@lolpop/workflows",
        ]);
      } finally {
        project.cleanup();
      }
    });
  }
});
