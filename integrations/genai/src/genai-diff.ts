/**
 * A unified diff of two texts, line by line, for showing what `generate` would change before
 * `--write` applies it.
 */

type Op = { kind: " " | "-" | "+"; line: string };

/** Line edit script from `a` to `b` (common prefix and suffix trimmed, LCS on the rest). */
function editScript(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const ops: Op[] = a.slice(0, pre).map((line) => ({ kind: " ", line }));
  if (am.length * bm.length > 4_000_000) {
    // Too large for the table: the whole middle as removed then added.
    for (const line of am) ops.push({ kind: "-", line });
    for (const line of bm) ops.push({ kind: "+", line });
  } else {
    const n = am.length;
    const m = bm.length;
    // lcs[i][j]: length of the LCS of am[i..] and bm[j..].
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ kind: " ", line: am[i]! });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!))
        ops.push({ kind: "+", line: bm[j++]! });
      else ops.push({ kind: "-", line: am[i++]! });
    }
  }
  for (const line of a.slice(a.length - suf)) ops.push({ kind: " ", line });
  return ops;
}

/** Lines with their line feed; a last line without one stays without (so the two differ). */
function toLines(text: string): string[] {
  const parts = text.split("\n");
  const lines = parts.slice(0, -1).map((l) => `${l}\n`);
  const last = parts[parts.length - 1]!;
  if (last !== "") lines.push(last);
  return lines;
}

/**
 * A unified diff (`--- a/file`, `+++ b/file`, `@@` hunks with `context` lines around changes) of
 * `before` and `after`; the empty string when they are equal. An absolute `file` is written without
 * the `a/` and `b/` prefixes.
 */
export function unifiedDiff(file: string, before: string, after: string, context = 3): string {
  if (before === after) return "";
  const a = toLines(before);
  const b = toLines(after);
  const ops = editScript(a, b);
  const changed = ops.map((o, i) => (o.kind === " " ? -1 : i)).filter((i) => i >= 0);
  const hunks: Array<[number, number]> = [];
  for (const i of changed) {
    const from = Math.max(0, i - context);
    const to = Math.min(ops.length, i + context + 1);
    const last = hunks[hunks.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else hunks.push([from, to]);
  }
  // A relative path gets git's a/ and b/ prefixes; an absolute one is shown as it is.
  const abs = file.startsWith("/");
  const out = [`--- ${abs ? "" : "a/"}${file}`, `+++ ${abs ? "" : "b/"}${file}`];
  // Line numbers at each op index.
  let aLine = 1;
  let bLine = 1;
  const aAt: number[] = [];
  const bAt: number[] = [];
  for (const o of ops) {
    aAt.push(aLine);
    bAt.push(bLine);
    if (o.kind !== "+") aLine++;
    if (o.kind !== "-") bLine++;
  }
  for (const [from, to] of hunks) {
    const slice = ops.slice(from, to);
    const aCount = slice.filter((o) => o.kind !== "+").length;
    const bCount = slice.filter((o) => o.kind !== "-").length;
    const aStart = aCount === 0 ? aAt[from]! - 1 : aAt[from]!;
    const bStart = bCount === 0 ? bAt[from]! - 1 : bAt[from]!;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const o of slice) {
      if (o.line.endsWith("\n")) out.push(`${o.kind}${o.line.slice(0, -1)}`);
      else out.push(`${o.kind}${o.line}`, "\\ No newline at end of file");
    }
  }
  return `${out.join("\n")}\n`;
}
