// Writes data/train.csv and data/new.csv from the vega-datasets cars, with an `id` column.
// Rows without Miles_per_Gallon are left out of training. Deterministic: every 5th row is "new".
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// vega-datasets exports only its JS entry: locate the package from it, then read data/<name>.json.
const require = createRequire(import.meta.url);
const rows = JSON.parse(
  readFileSync(join(dirname(dirname(require.resolve("vega-datasets"))), "data", "cars.json"), "utf8"),
);
const cols = [
  "id",
  "Miles_per_Gallon",
  "Cylinders",
  "Displacement",
  "Horsepower",
  "Weight_in_lbs",
  "Acceleration",
  "Year",
  "Origin",
];
const cell = (v) =>
  v === null || v === undefined
    ? ""
    : /[",\n]/.test(String(v))
      ? `"${String(v).replace(/"/g, '""')}"`
      : String(v);
rows.forEach((r, i) => {
  r.id = i + 1;
  r.Year = Number(String(r.Year).slice(0, 4));
});
const toCsv = (list, omit = []) => {
  const keep = cols.filter((c) => !omit.includes(c));
  return `${keep.join(",")}\n${list.map((r) => keep.map((c) => cell(r[c])).join(",")).join("\n")}\n`;
};
const labelled = rows.filter((r, i) => i % 5 !== 4 && r.Miles_per_Gallon !== null);
const fresh = rows.filter((_, i) => i % 5 === 4);
mkdirSync("data", { recursive: true });
writeFileSync("data/train.csv", toCsv(labelled));
writeFileSync("data/new.csv", toCsv(fresh, ["Miles_per_Gallon"]));
console.log(`data/train.csv: ${labelled.length} rows, data/new.csv: ${fresh.length} rows`);
