/**
 * Seeded generator of a wide mixed-type CSV (22 columns) for the benchmark (1,000,000 rows) and the
 * pandas/pyarrow parity tests (a few thousand rows): an integer id, 14 float features with ~2%
 * missing values, 3 integer counts, two categorical columns (5 short and 60 long labels, the long
 * ones beyond DuckDB's 12-byte inline strings), a true/false flag, a UTC timestamp (ISO 8601, some
 * with a +02:00 offset) and a class label. Written in blocks, so 1M rows need little memory.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { createRng } from "@lolpop/core";

/** Column names, in file order. */
export const WIDE_COLUMNS = [
  "id",
  ...Array.from({ length: 14 }, (_, i) => `x${i + 1}`),
  "n1",
  "n2",
  "n3",
  "color",
  "city",
  "flag",
  "ts",
];

const COLORS = ["red", "green", "blue", "yellow", "black"];
const CITIES = Array.from(
  { length: 60 },
  (_, i) => `Municipality of Region ${String.fromCharCode(65 + (i % 26))}${i}`,
);

/** Writes `rows` rows to `path` with `seed`; resolves when the file is closed. */
export async function writeWideCsv(path, rows, seed = 7) {
  const rand = createRng(seed);
  const out = createWriteStream(path);
  out.write(`${WIDE_COLUMNS.join(",")}\n`);
  const base = Date.UTC(2024, 0, 1);
  let block = "";
  for (let i = 0; i < rows; i++) {
    let line = String(i + 1);
    for (let f = 0; f < 14; f++) {
      const v = rand();
      line += rand() < 0.02 ? "," : `,${((v - 0.5) * 200).toFixed(6)}`;
    }
    line += `,${Math.floor(rand() * 1000)},${Math.floor(rand() * 50) - 25},${rand() < 0.05 ? "" : Math.floor(rand() * 7)}`;
    line += `,${COLORS[Math.floor(rand() * COLORS.length)]}`;
    line += `,${rand() < 0.01 ? "" : CITIES[Math.floor(rand() * CITIES.length)]}`;
    line += `,${rand() < 0.5 ? "true" : "false"}`;
    const ms = base + Math.floor(rand() * 365 * 86_400) * 1000;
    line +=
      rand() < 0.1
        ? `,${new Date(ms + 7_200_000).toISOString().slice(0, 19)}+02:00`
        : `,${new Date(ms).toISOString().slice(0, 19)}Z`;
    block += `${line}\n`;
    if (block.length > 1 << 20) {
      if (!out.write(block)) await once(out, "drain");
      block = "";
    }
  }
  out.end(block);
  await once(out, "close");
}
