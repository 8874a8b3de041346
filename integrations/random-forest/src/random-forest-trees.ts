/**
 * The trees of a fitted forest in one engine-neutral shape, read through each model's `trees()`.
 * Exporters (ONNX) and tools read this, never an engine's prediction internals, so the engines may
 * change how they store and walk their trees without breaking them.
 */

/** One tree. Node 0 is the root. */
export interface ForestTree {
  /** Feature index (into the model's `feature_names`) of each internal node; -1 for a leaf. */
  feature: Int32Array;
  /** Split threshold of each internal node (see {@link ForestTrees.split}). */
  threshold: Float64Array;
  /** Child node taken when the split holds (internal nodes); -1 for a leaf. */
  left: Int32Array;
  /** Child node taken otherwise (internal nodes); -1 for a leaf. */
  right: Int32Array;
  /** 1 when a missing (NaN) value goes to `left`. */
  missingLeft: Uint8Array;
  /** Leaf row in `values` for a leaf; -1 for an internal node. */
  leaf: Int32Array;
  /** Leaf values, `valueWidth` per leaf: class probabilities or votes, or a regression value. */
  values: Float64Array;
}

/**
 * A forest: the prediction for a row is the mean over trees of the values of the leaf it reaches
 * (per class for classification, whose label is the class of the highest mean, the first on a tie).
 */
export interface ForestTrees {
  /** When a row goes `left`: `x <= threshold` (histogram engine) or `x < threshold` (ml-random-forest). */
  split: "<=" | "<";
  /** Values per leaf: the number of classes, or 1 for regression. */
  valueWidth: number;
  trees: ForestTree[];
  /**
   * Values that replace a feature's missing and infinite inputs before the trees are walked
   * (ml-random-forest models: the training means), in `feature_names` order.
   */
  impute?: readonly number[];
}
