// Preloaded into a benchmarked `node` process (`node --require bench/max-rss.cjs ...`): at exit,
// writes the process's peak resident set size in KiB (`process.resourceUsage().maxRSS`, worker
// threads included) to the file named by LOLPOP_BENCH_RSS_FILE.
const { writeFileSync } = require("node:fs");

const file = process.env.LOLPOP_BENCH_RSS_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
