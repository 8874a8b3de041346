/**
 * LocalFeatureTransformer's fitted state as a piece of an ONNX graph. The piece computes in double,
 * as `transform` does, so that a model fed by it sees the very numbers lolpop's own model sees (a
 * tree split on a scaled value flips when the scaled value is off by one float32 rounding):
 *
 * - numeric feature (input `double [N, 1]`, NaN missing): `IsNaN` + `Where` (the fill value), then
 *   `Sub` + `Div` (center, scale) unless scaling is none. ONNX-ML's `Imputer` and `Scaler` would
 *   compute in float32 (`Scaler` only outputs float), which is why they are not used here;
 * - categorical feature (input `string [N, 1]`, `""` missing): ONNX-ML `LabelEncoder` from text to
 *   the category's position (infrequent values to `__other__`'s, missing to the fill's, unseen to
 *   -1), then `OneHotEncoder` (unseen: all zeros) or, for ordinal encoding, the position (unseen: -1),
 *   cast to double;
 * - missing indicators: `IsNaN` (numeric), a `LabelEncoder` of `""` to 1 (categorical), as double;
 * - one `Concat` of every block into `features` (`double [N, F]`), in the order `transform` writes
 *   the columns.
 *
 * Refused (named in an {@link OnnxExportError}): `encoding: passthrough`, whose text columns go to
 * a model that encodes categories itself and cannot be expressed as ONNX tensors for it.
 */
import type { OnnxGraphPiece } from "@lolpop/core";
import {
  attr,
  BATCH_DIM,
  FEATURES,
  ONNX_ML_DOMAIN,
  OnnxExportError,
  PieceBuilder,
  tensorInfo,
} from "@lolpop/onnx";
import type { SavedFeatureTransformer } from "./local-feature-transformer.js";

const ML = { domain: ONNX_ML_DOMAIN };
/** ONNX TensorProto.DataType of double, for Cast. */
const DOUBLE = 11;

/** Builds the ONNX piece of a fitted LocalFeatureTransformer state. */
export function featureTransformerToOnnx(state: SavedFeatureTransformer, path: string): OnnxGraphPiece {
  const passthrough = state.features.filter((f) => f.kind === "categorical" && f.encoding === "passthrough");
  if (passthrough.length) {
    const names = passthrough.map((f) => `"${f.name}"`).join(", ");
    throw new OnnxExportError({
      message: `${path}: feature${passthrough.length > 1 ? "s" : ""} ${names} ${passthrough.length > 1 ? "are" : "is"} passed through as text (encoding: passthrough) for a model that encodes categories itself; an ONNX model cannot hand text columns to such a model. Use encoding onehot or ordinal to export it.`,
      unsupported: passthrough.map((f) => `feature "${f.name}" (encoding passthrough)`).join(", "),
      details: { features: passthrough.map((f) => f.name) },
    });
  }
  const b = new PieceBuilder();
  // Every raw column's input first, so that no intermediate name can take a column's name.
  const inputs = new Map(
    state.features.map((f) => [
      f.name,
      f.kind === "numeric"
        ? b.input(tensorInfo(f.name, "double", [BATCH_DIM, 1], "numeric feature; NaN is missing"))
        : b.input(tensorInfo(f.name, "string", [BATCH_DIM, 1], 'categorical feature; "" is missing')),
    ]),
  );
  const blocks: string[] = [];
  for (const f of state.features) {
    const x = inputs.get(f.name)!;
    if (f.kind === "numeric") {
      const nan = b.op("IsNaN", [x], undefined, { hint: `${f.name}/is_missing` });
      let y = b.op("Where", [nan, b.doubles(`${f.name}/fill`, [f.fill], []), x], undefined, {
        hint: `${f.name}/imputed`,
      });
      if (f.center !== 0 || f.scale !== 1) {
        const centered = b.op("Sub", [y, b.doubles(`${f.name}/center`, [f.center], [])], undefined, {
          hint: `${f.name}/centered`,
        });
        y = b.op("Div", [centered, b.doubles(`${f.name}/scale`, [f.scale], [])], undefined, {
          hint: `${f.name}/scaled`,
        });
      }
      blocks.push(y);
      if (f.missing_indicator) {
        blocks.push(b.op("Cast", [nan], { to: attr.int(DOUBLE) }, { hint: `${f.name}__missing` }));
      }
      continue;
    }
    const k = f.categories.length;
    const keys: string[] = [...f.categories, ...f.infrequent];
    const positions: number[] = [...f.categories.map((_, j) => j), ...f.infrequent.map(() => k)];
    const fillPosition = keys.indexOf(f.fill) >= 0 ? positions[keys.indexOf(f.fill)]! : -1;
    keys.push("");
    positions.push(fillPosition);
    const code = b.op(
      "LabelEncoder",
      [x],
      { keys_strings: attr.strings(keys), values_int64s: attr.ints(positions), default_int64: attr.int(-1) },
      { ...ML, hint: `${f.name}/code`, doc_string: "category position; unseen: -1" },
    );
    if (f.encoding === "ordinal")
      blocks.push(b.op("Cast", [code], { to: attr.int(DOUBLE) }, { hint: `${f.name}/ordinal` }));
    else {
      const width = k + (f.infrequent.length ? 1 : 0);
      const onehot = b.op(
        "OneHotEncoder",
        [code],
        { cats_int64s: attr.ints(Array.from({ length: width }, (_, j) => j)), zeros: attr.int(1) },
        { ...ML, hint: `${f.name}/onehot_3d` },
      );
      const flat = b.op("Reshape", [onehot, b.int64s(`${f.name}/width`, [-1, width])], undefined, {
        hint: `${f.name}/onehot_float`,
      });
      blocks.push(b.op("Cast", [flat], { to: attr.int(DOUBLE) }, { hint: `${f.name}/onehot` }));
    }
    if (f.missing_indicator) {
      const missing = b.op(
        "LabelEncoder",
        [x],
        { keys_strings: attr.strings([""]), values_floats: attr.floats([1]), default_float: attr.float(0) },
        { ...ML, hint: `${f.name}/missing_float` },
      );
      blocks.push(b.op("Cast", [missing], { to: attr.int(DOUBLE) }, { hint: `${f.name}__missing` }));
    }
  }
  b.node("Concat", blocks, [b.outputName(FEATURES)], { axis: attr.int(1) });
  b.output(tensorInfo(FEATURES, "double", [BATCH_DIM, state.output_columns.length]));
  return b.finish({
    feature_names: [...state.output_columns],
    doc_string: `LocalFeatureTransformer: ${state.features.length} raw columns -> ${state.output_columns.length} features (IsNaN/Where imputation, Sub/Div scaling, LabelEncoder, OneHotEncoder; double arithmetic)`,
  });
}
