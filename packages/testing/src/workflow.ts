/**
 * Helpers to run a workflow in a temp project: write the config and data files into a folder under
 * the OS temp dir, load it with core's `loadProject` against the registered plugins (import your
 * plugins first), build the workflow through the engine and call a runner method.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  type Hook,
  type Lineage,
  type Logger,
  loadProject,
  type Middleware,
  type ProblemType,
  silentLogger,
  type Workflow,
} from "@lolpop/core";
import { sampleTable, writeCsv } from "./sample-data.js";

/** A folder under the OS temp dir. */
export interface TempProject {
  /** Absolute path. */
  readonly dir: string;
  /** Absolute path of a file inside the project. */
  path(...parts: string[]): string;
  /** Writes a file (folders created); returns its absolute path. */
  write(relativePath: string, content: string | Uint8Array): string;
  /** Removes the folder. */
  cleanup(): void;
}

/** Options of {@link createTempProject}. */
export interface TempProjectOptions {
  /** Folder name prefix (default `lolpop-project-`). */
  prefix?: string;
  /** Files to write, by relative path. */
  files?: Record<string, string>;
  /** A `node_modules` folder to link into the project (so the CLI can discover plugins there). */
  nodeModules?: string;
  /** package.json content (written when given). */
  packageJson?: Record<string, unknown>;
}

/** Creates a temp project folder. */
export function createTempProject(options: TempProjectOptions = {}): TempProject {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? "lolpop-project-"));
  const project: TempProject = {
    dir,
    path: (...parts) => join(dir, ...parts),
    write: (rel, content) => {
      const file = join(dir, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  if (options.packageJson) project.write("package.json", `${JSON.stringify(options.packageJson, null, 2)}\n`);
  for (const [rel, text] of Object.entries(options.files ?? {})) project.write(rel, text);
  if (options.nodeModules) symlinkSync(options.nodeModules, join(dir, "node_modules"));
  return project;
}

/** Writes a sample dataset as CSV into the project (see `sampleTable`); returns its path. */
export function writeSampleData(
  project: TempProject,
  relativePath: string,
  problemType: ProblemType,
  options: { rows?: number; seed?: number } = {},
): string {
  const file = project.path(relativePath);
  mkdirSync(dirname(file), { recursive: true });
  writeCsv(file, sampleTable(problemType, { ...options, roles: false }));
  return file;
}

/** Options of {@link runWorkflow}. */
export interface RunWorkflowOptions {
  /** The workflow config: YAML text, or an object (written as JSON, which is YAML). */
  config: string | Record<string, unknown>;
  /** Where to run (default: a new temp project, removed afterwards unless `keep`). */
  project?: TempProject;
  /** Extra files to write first, by relative path. */
  files?: Record<string, string>;
  /** Runner method (default `build_all`). */
  method?: string;
  /** Its arguments. */
  args?: unknown[];
  /** Engine hooks (before/after any method). */
  hooks?: Hook[];
  middlewares?: Middleware[];
  /** Logger (default: silent). */
  logger?: Logger;
  /** Environment for `${env:...}` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Keep the temp project this call created. */
  keep?: boolean;
}

/** What {@link runWorkflow} returns. */
export interface RunWorkflowResult {
  /** The runner method's return value (the summary for the standard runners). */
  result: unknown;
  workflow: Workflow;
  lineage: Lineage;
  /** The project folder (removed already unless you passed `project` or `keep`). */
  dir: string;
}

/** Validates and runs a workflow in a temp project through the engine. */
export async function runWorkflow(options: RunWorkflowOptions): Promise<RunWorkflowResult> {
  const own = !options.project;
  const project = options.project ?? createTempProject({ prefix: "lolpop-workflow-" });
  try {
    for (const [rel, text] of Object.entries(options.files ?? {})) project.write(rel, text);
    const text =
      typeof options.config === "string" ? options.config : JSON.stringify(options.config, null, 2);
    const file = project.write("lolpop.yaml", text);
    const loaded = await loadProject({
      configPath: file,
      ...(options.env ? { env: options.env } : {}),
      project: { root: project.dir },
    });
    const workflow = await loaded.createWorkflow({
      logger: options.logger ?? silentLogger,
      ...(options.hooks ? { hooks: options.hooks } : {}),
      ...(options.middlewares ? { middlewares: options.middlewares } : {}),
    });
    const result = await workflow.run(options.method ?? "build_all", ...(options.args ?? []));
    return { result, workflow, lineage: workflow.lineage(), dir: project.dir };
  } finally {
    if (own && !options.keep) project.cleanup();
  }
}
