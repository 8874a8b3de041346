// The benchmark CSV of the 1M x 22 case (an id, 16 decimals, 2 integers, 2 text columns and a
// yes/no label), seeded: the CSV read bench here and the step-cache bench (bench/step-cache.mjs) read it.
import { createWriteStream } from "node:fs";

/** Writes the benchmark file: seeded, ~156 bytes a row. */
export async function writeBenchCsv(path, rows) {
  let s = 20240601;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const cities = Array.from({ length: 40 }, (_, i) => `city_${String.fromCharCode(97 + (i % 26))}${i}`);
  const segments = ["retail", "wholesale", "online", "partner", "other"];
  const header = [
    "id",
    ...Array.from({ length: 16 }, (_, j) => `x${j}`),
    "age",
    "visits",
    "city",
    "segment",
    "label",
  ];
  const out = createWriteStream(path);
  const write = (text) => (out.write(text) ? undefined : new Promise((r) => out.once("drain", r)));
  await write(`${header.join(",")}\n`);
  let buf = "";
  for (let i = 0; i < rows; i++) {
    let line = String(i + 1);
    for (let j = 0; j < 16; j++) line += `,${((rand() - 0.5) * (j < 8 ? 20 : 2000)).toFixed(j < 8 ? 4 : 2)}`;
    line += `,${18 + Math.floor(rand() * 70)},${Math.floor(rand() * 5000)}`;
    line += `,${cities[Math.floor(rand() * cities.length)]},${segments[Math.floor(rand() * 5)]}`;
    line += rand() < 0.3 ? ",yes\n" : ",no\n";
    buf += line;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = "";
    }
  }
  await write(buf);
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
}
