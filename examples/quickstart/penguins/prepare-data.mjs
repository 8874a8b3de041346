// Writes data/train.csv (labelled) and data/new.csv (to predict) from the vega-datasets penguins,
// with snake_case column names and an `id` column. Deterministic: every 5th row is "new".
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// vega-datasets exports only its JS entry: locate the package from it, then read data/<name>.json.
const require = createRequire(import.meta.url);
const rows = JSON.parse(
  readFileSync(join(dirname(dirname(require.resolve("vega-datasets"))), "data", "penguins.json"), "utf8"),
);
const cols = [
  ["id", null],
  ["species", "Species"],
  ["island", "Island"],
  ["beak_length_mm", "Beak Length (mm)"],
  ["beak_depth_mm", "Beak Depth (mm)"],
  ["flipper_length_mm", "Flipper Length (mm)"],
  ["body_mass_g", "Body Mass (g)"],
  ["sex", "Sex"],
];
const cell = (v) =>
  v === null || v === undefined || v === "."
    ? ""
    : /[",\n]/.test(String(v))
      ? `"${String(v).replace(/"/g, '""')}"`
      : String(v);
const toCsv = (list, omit = []) => {
  const keep = cols.filter(([name]) => !omit.includes(name));
  return `${keep.map(([n]) => n).join(",")}\n${list.map((r) => keep.map(([, src]) => cell(src ? r[src] : r.id)).join(",")).join("\n")}\n`;
};
rows.forEach((r, i) => (r.id = i + 1));
mkdirSync("data", { recursive: true });
const labelled = rows.filter((_, i) => i % 5 !== 4);
const fresh = rows.filter((_, i) => i % 5 === 4);
writeFileSync("data/train.csv", toCsv(labelled));
writeFileSync("data/new.csv", toCsv(fresh, ["species"]));
writeFileSync("data/new_truth.csv", toCsv(fresh));
console.log(`data/train.csv: ${labelled.length} rows, data/new.csv: ${fresh.length} rows`);
