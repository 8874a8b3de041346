/**
 * `lolpop init [dir] [--template classification|regression]`: a new project with package.json (the
 * lolpop packages it needs), lolpop.yaml (with workflow tests), a sample data script, hooks for
 * `lolpop test`, a README and a .gitignore for `.lolpop/`.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { lolpopRange } from "./versions.js";

/** Project templates. */
export const TEMPLATES = ["classification", "regression"] as const;
/** A project template name. */
export type Template = (typeof TEMPLATES)[number];

/** Options of {@link initProject}. */
export interface InitOptions {
  /** Target folder (created when missing). */
  dir: string;
  template?: Template;
  /** Package name (default: the folder's name). */
  name?: string;
  /** Overwrite files that exist. */
  force?: boolean;
}

/** An npm-safe package name from a folder name. */
export function packageName(raw: string): string {
  const s = raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-._]+|[-._]+$/g, "");
  return s || "lolpop-project";
}

function yaml(t: Template, name: string): string {
  const cls = t === "classification";
  return `# yaml-language-server: $schema=./lolpop.schema.json
# ${name}: ${cls ? "classify `label`" : "predict `price`"} with a random forest; runs, models and metrics are stored under .lolpop/.
# After adding plugins, regenerate the editor schema with \`npm run schema\`.
runner: ${cls ? "ClassificationRunner" : "RegressionRunner"}
config:
  target: ${cls ? "label" : "price"}
  index: id
  model_name: ${name}
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
  notifier: StdoutNotifier
pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
  predict: OfflinePredict
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/train.csv
train:
  config:
    perf_metric: ${cls ? "f1_macro" : "rmse"}
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: RandomForestModelTrainer
  data_splitter:
    config:
      split_ratio: [0.7, 0.15, 0.15]
      seed: 42
  model_trainer:
    config:
      training_params:
        n_estimators: 40
        max_depth: 8
deploy:
  config:
    approval: automatic
predict:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/new.csv
  config:
    output_path: predictions/${name}.csv
    # Labels of data/new.csv, for \`lolpop run --step evaluate\` (written by prepare-data.mjs).
    ground_truth_path: data/new_truth.csv
# Workflow tests, run by \`lolpop test\`: hooks before (pre_hooks) or after (post_hooks) any
# component, pipeline or runner method. A failing hook fails the command (exit 1).
tests:
  process.data_connector.get_data:
    post_hooks:
      - hook_file: tests/hooks.mjs
        hook_method: has_enough_rows
  train.train_model:
    post_hooks:
      - hook_file: tests/hooks.mjs
        hook_method: ${cls ? "f1_above_threshold" : "r2_above_threshold"}
`;
}

const HOOKS = (
  t: Template,
) => `// Hooks for \`lolpop test\`. Each gets { path, method, args, output (post-hooks), component }
// and passes by returning true (or nothing), fails by returning false, [false, "why"] or throwing.

/** The training data has enough rows to learn from. */
export function has_enough_rows({ output }) {
  return [output.numRows >= 100, \`only \${output.numRows} rows in data/train.csv\`];
}
${
  t === "classification"
    ? `
/** The challenger's macro F1 on the test split is well above chance. */
export function f1_above_threshold({ output }) {
  const f1 = output.metrics.test.f1_macro;
  return [f1 >= 0.6, \`test f1_macro \${f1.toFixed(3)} is below 0.6\`];
}
`
    : `
/** The challenger explains most of the variance on the test split. */
export function r2_above_threshold({ output }) {
  const r2 = output.metrics.test.r2;
  return [r2 >= 0.5, \`test r2 \${r2.toFixed(3)} is below 0.5\`];
}
`
}`;

const DATA = (
  t: Template,
) => `// Writes data/train.csv (labelled), data/new.csv (to predict) and data/new_truth.csv, a synthetic
// ${t === "classification" ? "three-class dataset" : "house-price dataset"}. Deterministic (seeded); no dependencies.
import { mkdirSync, writeFileSync } from "node:fs";

let state = 42;
function random() {
  // mulberry32
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function normal() {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
const pick = (list) => list[Math.floor(random() * list.length)];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
${
  t === "classification"
    ? `
const LABELS = ["alpha", "beta", "gamma"];
const CENTERS = { alpha: [2, 1, 10], beta: [4, 3, 14], gamma: [6, 1.5, 18] };
const columns = ["id", "label", "region", "width", "height", "weight"];
function row(id) {
  const label = LABELS[id % 3];
  const [w, h, m] = CENTERS[label];
  return {
    id,
    label,
    region: label === "gamma" ? pick(["north", "north", "south"]) : pick(["north", "south", "east"]),
    width: round(w + normal() * 0.8),
    height: round(h + normal() * 0.7),
    // about 3% missing values, which the feature transformer imputes
    weight: random() < 0.03 ? "" : round(m + normal() * 1.5),
  };
}
const target = "label";`
    : `
const columns = ["id", "price", "district", "size_m2", "rooms", "age_years"];
const DISTRICT = { center: 1.4, suburb: 1.0, rural: 0.7 };
function row(id) {
  const district = pick(Object.keys(DISTRICT));
  const size = round(40 + random() * 120, 1);
  const rooms = Math.max(1, Math.round(size / 30 + normal() * 0.6));
  const age = Math.floor(random() * 60);
  const price = round((size * 2.1 + rooms * 8 - age * 0.6) * DISTRICT[district] + normal() * 12, 1);
  return { id, price, district, size_m2: size, rooms, age_years: random() < 0.03 ? "" : age };
}
const target = "price";`
}

const rows = Array.from({ length: 600 }, (_, i) => row(i + 1));
const csv = (list, cols) => \`\${cols.join(",")}\\n\${list.map((r) => cols.map((c) => r[c]).join(",")).join("\\n")}\\n\`;
const labelled = rows.filter((_, i) => i % 6 !== 5);
const fresh = rows.filter((_, i) => i % 6 === 5);
mkdirSync("data", { recursive: true });
writeFileSync("data/train.csv", csv(labelled, columns));
writeFileSync("data/new.csv", csv(fresh, columns.filter((c) => c !== target)));
writeFileSync("data/new_truth.csv", csv(fresh, columns));
console.log(\`data/train.csv: \${labelled.length} rows, data/new.csv: \${fresh.length} rows, data/new_truth.csv: their labels\`);
`;

const README = (t: Template, name: string) => `# ${name}

A lolpop project: ${t === "classification" ? "a classifier of `label`" : "a regressor of `price`"} trained with a random forest,
with runs, model versions and the champion stored under \`.lolpop/\`.

## Run it

\`\`\`sh
npm install              # also writes lolpop.schema.json (the editor schema lolpop.yaml points at)
npm run prepare-data     # writes data/train.csv, data/new.csv and its labels data/new_truth.csv (synthetic, seeded)
npx lolpop validate      # checks lolpop.yaml against the installed plugins
npx lolpop run           # process -> train -> deploy -> predict
npx lolpop run --step evaluate   # compares the predictions with data/new_truth.csv
npx lolpop test          # runs the workflow with the hooks of the tests: section
\`\`\`

Each run registers a new model version and promotes it when it beats the champion and the
baseline; predictions are written to \`predictions/${name}.csv\`.

## Files

| file | what |
| --- | --- |
| \`lolpop.yaml\` | the workflow: runner, pipelines, components and their config, workflow tests |
| \`prepare-data.mjs\` | writes the sample data; replace it with your own data under \`data/\` |
| \`tests/hooks.mjs\` | hooks used by \`lolpop test\` |
| \`lolpop.schema.json\` | JSON Schema of lolpop.yaml for your editor (written by \`npm install\`; \`npm run schema\` regenerates it after adding plugins) |

## Next steps

- \`npx lolpop plugins list\` shows the installed plugins and their component types;
  \`npx lolpop plugins info @lolpop/random-forest\` shows a component's config keys.
- Swap a component by changing one line (e.g. another \`model_trainer\`), after installing its plugin.
- \`npx lolpop create component MyTransformer --kind data_transformer\` adds a component of your own.
- \`npx lolpop doctor\` checks Node, plugins, Python and servers when something does not work.
`;

const GITIGNORE = `node_modules/
.lolpop/
predictions/
`;

/** The files of a new project, by relative path. */
export function projectFiles(template: Template, name: string): Record<string, string> {
  const pkg = {
    name,
    private: true,
    version: "0.1.0",
    type: "module",
    description: `lolpop ${template} project`,
    scripts: {
      "prepare-data": "node prepare-data.mjs",
      validate: "lolpop validate",
      start: "lolpop run",
      test: "lolpop test",
      schema: "lolpop schema --out lolpop.schema.json",
      // lolpop.yaml points the editor at lolpop.schema.json: written once the plugins are installed.
      postinstall: "lolpop schema --out lolpop.schema.json || exit 0",
    },
    dependencies: {
      "@lolpop/core": lolpopRange("@lolpop/core"),
      "@lolpop/local": lolpopRange("@lolpop/local"),
      "@lolpop/random-forest": lolpopRange("@lolpop/random-forest"),
      "@lolpop/workflows": lolpopRange("@lolpop/workflows"),
    },
    devDependencies: {
      "@lolpop/cli": lolpopRange("@lolpop/cli"),
    },
  };
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "lolpop.yaml": yaml(template, name),
    "prepare-data.mjs": DATA(template),
    "tests/hooks.mjs": HOOKS(template),
    "README.md": README(template, name),
    ".gitignore": GITIGNORE,
  };
}

/** Writes a new project. Refuses to overwrite existing files unless `force`. Returns the written paths. */
export function initProject(options: InitOptions): { dir: string; files: string[] } {
  const dir = resolve(options.dir);
  const template = options.template ?? "classification";
  if (!TEMPLATES.includes(template))
    throw new Error(`--template must be one of ${TEMPLATES.join(", ")} (got "${template}")`);
  const name = packageName(options.name ?? basename(dir));
  const files = projectFiles(template, name);
  if (existsSync(dir) && !options.force) {
    const clash = Object.keys(files).filter((f) => existsSync(join(dir, f)));
    if (clash.length)
      throw new Error(
        `${dir} already has ${clash.join(", ")}: pick an empty folder (lolpop init my-project) or pass --force to overwrite`,
      );
  }
  for (const [rel, text] of Object.entries(files)) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { dir, files: Object.keys(files) };
}
