/**
 * A fitted forest as a piece of an ONNX graph, written from its trees ({@link ForestTrees}), for
 * both engines: an ONNX-ML `TreeEnsembleClassifier` (leaf class weights = leaf values / trees, so
 * their sum is the mean lolpop predicts; `post_transform` NONE) or `TreeEnsembleRegressor`
 * (`aggregate_function` AVERAGE). ml-random-forest models first replace missing and infinite values
 * by their training means (IsNaN, IsInf, Or + Where), as the engine does.
 *
 * The piece reads `features` as `double [N, F]` and holds thresholds and leaf values as double
 * tensors (`nodes_values_as_tensor`, ONNX-ML opset 3), so splits compare in float64 as lolpop's own
 * engines do: float32 thresholds would send values within one float32 rounding of a split down the
 * other branch. The outputs are float (the operators' only output type).
 */
import type { OnnxAttribute, OnnxGraphPiece, ProblemType } from "@lolpop/core";
import {
  attr,
  BATCH_DIM,
  FEATURES,
  ONNX_ML_DOMAIN,
  PieceBuilder,
  PREDICTION,
  PROBABILITIES,
  tensor,
  tensorInfo,
} from "@lolpop/onnx";
import type { ForestTrees } from "./random-forest-trees.js";

/** Builds the ONNX piece of a forest (input `features`, output `probabilities` or `prediction`). */
export function forestToOnnx(
  model: { problem_type: ProblemType; feature_names: readonly string[]; classes?: readonly string[] },
  forest: ForestTrees,
): OnnxGraphPiece {
  const F = model.feature_names.length;
  const T = forest.trees.length;
  const classification = model.problem_type === "classification";
  const K = forest.valueWidth;
  if (classification && K !== model.classes!.length)
    throw new Error(`the forest has ${K} values per leaf for ${model.classes!.length} classes`);
  const b = new PieceBuilder();
  let x = b.input(tensorInfo(FEATURES, "double", [BATCH_DIM, F]));
  if (forest.impute) {
    const nan = b.op("IsNaN", [x], undefined, { hint: "missing" });
    const infinite = b.op("IsInf", [x], undefined, { hint: "infinite" });
    const replace = b.op("Or", [nan, infinite], undefined, { hint: "not_finite" });
    x = b.op("Where", [replace, b.doubles("means", forest.impute, [1, F]), x], undefined, {
      hint: "imputed",
      doc_string: "missing and infinite values: training means",
    });
  }

  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const thresholds: number[] = [];
  const modes: string[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const leafTree: number[] = [];
  const leafNode: number[] = [];
  const leafTarget: number[] = [];
  const leafWeight: number[] = [];
  const branch = forest.split === "<=" ? "BRANCH_LEQ" : "BRANCH_LT";
  forest.trees.forEach((tree, t) => {
    for (let j = 0; j < tree.feature.length; j++) {
      treeIds.push(t);
      nodeIds.push(j);
      const leaf = tree.leaf[j]!;
      if (leaf >= 0) {
        featureIds.push(0);
        thresholds.push(0);
        modes.push("LEAF");
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        for (let k = 0; k < K; k++) {
          leafTree.push(t);
          leafNode.push(j);
          leafTarget.push(k);
          // Classification: the mean over trees is the sum of value / trees.
          leafWeight.push(classification ? tree.values[leaf * K + k]! / T : tree.values[leaf * K + k]!);
        }
      } else {
        featureIds.push(tree.feature[j]!);
        thresholds.push(tree.threshold[j]!);
        modes.push(branch);
        trueIds.push(tree.left[j]!);
        falseIds.push(tree.right[j]!);
        missingTrue.push(tree.missingLeft[j]!);
      }
    }
  });
  const nodes: Record<string, OnnxAttribute> = {
    nodes_treeids: attr.ints(treeIds),
    nodes_nodeids: attr.ints(nodeIds),
    nodes_featureids: attr.ints(featureIds),
    nodes_values_as_tensor: attr.tensor(
      tensor("nodes_values", "double", [thresholds.length], Float64Array.from(thresholds)),
    ),
    nodes_modes: attr.strings(modes),
    nodes_truenodeids: attr.ints(trueIds),
    nodes_falsenodeids: attr.ints(falseIds),
    nodes_missing_value_tracks_true: attr.ints(missingTrue),
    post_transform: attr.string("NONE"),
  };
  const doc = `random forest of ${T} trees (${forest.split === "<=" ? "histogram" : "ml-random-forest"} engine); splits compare in float64`;
  if (classification) {
    const probabilities = b.outputName(PROBABILITIES);
    b.node(
      "TreeEnsembleClassifier",
      [x],
      [b.name("tree_label"), probabilities],
      {
        ...nodes,
        class_treeids: attr.ints(leafTree),
        class_nodeids: attr.ints(leafNode),
        class_ids: attr.ints(leafTarget),
        class_weights_as_tensor: attr.tensor(
          tensor("class_weights", "double", [leafWeight.length], Float64Array.from(leafWeight)),
        ),
        classlabels_int64s: attr.ints(model.classes!.map((_, i) => i)),
      },
      { domain: ONNX_ML_DOMAIN, doc_string: doc },
    );
    b.output(tensorInfo(PROBABILITIES, "float", [BATCH_DIM, K]));
  } else {
    const values = b.name("tree_values");
    b.node(
      "TreeEnsembleRegressor",
      [x],
      [values],
      {
        ...nodes,
        n_targets: attr.int(1),
        target_treeids: attr.ints(leafTree),
        target_nodeids: attr.ints(leafNode),
        target_ids: attr.ints(leafTarget),
        target_weights_as_tensor: attr.tensor(
          tensor("target_weights", "double", [leafWeight.length], Float64Array.from(leafWeight)),
        ),
        aggregate_function: attr.string("AVERAGE"),
      },
      { domain: ONNX_ML_DOMAIN, doc_string: doc },
    );
    b.node("Reshape", [values, b.int64s("rows", [-1])], [b.outputName(PREDICTION)]);
    b.output(tensorInfo(PREDICTION, "float", [BATCH_DIM]));
  }
  return b.finish({ feature_names: [...model.feature_names], doc_string: doc });
}
