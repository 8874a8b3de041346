// The penguins workflow through the engine, trained from the same data four ways: the CSV with
// LocalDataConnector, its Parquet version, a SQL query (with a named parameter) over a real Postgres
// cluster started on 127.0.0.1 with Debian's server binaries, and a table of a SQLite file, the last
// three with DuckDBDataConnector. Each gives the same dataset fingerprint, the same model metrics
// and the same predictions as the CSV; the Postgres password never reaches logs or the store.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createLogger,
  createWorkflow,
  type DataConnector,
  DataError,
  validateConfigText,
} from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import { extensionDirectory } from "../test-fixtures/duckdb-extensions.mjs";
import { startPostgres, type TestPostgres } from "../test-fixtures/postgres-server.mjs";
import "./index.js";
import { duckdbDataConnector } from "./duckdb-data-connector.js";
import { withDuckDB } from "./duckdb-runtime.js";
import { make, penguinsProject } from "./duckdb-test-utils.js";

const ENV = "LOLPOP_TEST_DUCKDB_PG_URL";

const yaml = (processConnector: string) => `
runner: ClassificationRunner
config:
  target: species
  index: id
  model_name: penguins
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
  predict: OfflinePredict
process:
  components:
${processConnector}
train:
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: RandomForestModelTrainer
  data_splitter:
    config:
      seed: 7
  model_trainer:
    config:
      training_params:
        n_estimators: 15
        max_depth: 6
predict:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/new.csv
  config:
    output_path: predictions/penguins.csv
`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

async function run(dir: string, text: string): Promise<{ summary: WorkflowSummary; logs: string }> {
  const file = join(dir, "lolpop.yaml");
  writeFileSync(file, text);
  let logs = "";
  const logger = createLogger({
    level: "debug",
    format: "json",
    stream: { write: (s: string) => (logs += s) },
  });
  const { plan } = validateConfigText(text, file, {});
  const wf = await createWorkflow(plan, { logger });
  const summary = (await wf.run("build_all")) as WorkflowSummary;
  return { summary, logs };
}

let pg: TestPostgres;
let extensions: string;

beforeAll(async () => {
  pg = await startPostgres();
  extensions = extensionDirectory();
  const csv = join(penguinsProject("lolpop-duckdb-pgdata-"), "data", "train.csv");
  pg.psql(`CREATE TABLE penguins (id integer, species text, island text, beak_length_mm double precision,
      beak_depth_mm double precision, flipper_length_mm double precision, body_mass_g double precision, sex text);
    \\copy penguins FROM '${csv}' WITH (FORMAT csv, HEADER true)`);
  process.env[ENV] = pg.url;
}, 180_000);

afterAll(async () => {
  delete process.env[ENV];
  await pg?.stop();
}, 60_000);

describe("the same model from CSV, Parquet, Postgres and SQLite", () => {
  let fromCsv: { summary: WorkflowSummary; dir: string };

  beforeAll(async () => {
    const dir = penguinsProject();
    const { summary } = await run(
      dir,
      yaml(`    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/train.csv`),
    );
    fromCsv = { summary, dir };
  }, 180_000);

  const expectSameModel = (summary: WorkflowSummary, dir: string) => {
    expect(summary.process!.fingerprint).toBe(fromCsv.summary.process!.fingerprint);
    expect(summary.process!.rows).toBe(fromCsv.summary.process!.rows);
    expect(summary.train!.metrics).toEqual(fromCsv.summary.train!.metrics);
    expect(readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")).toBe(
      readFileSync(join(fromCsv.dir, "predictions", "penguins.csv"), "utf8"),
    );
  };

  test("from its Parquet version", async () => {
    const dir = penguinsProject();
    const c = await make<DataConnector>(duckdbDataConnector, {}, dir);
    await c.save_data(await c.get_data("data/train.csv"), "data/train.parquet");
    const { summary } = await run(
      dir,
      yaml(`    data_connector: DuckDBDataConnector
  data_connector:
    config:
      path: data/train.parquet`),
    );
    expectSameModel(summary, dir);
  }, 180_000);

  test("from a SQL query over Postgres, with the password kept out of logs and the store", async () => {
    const dir = penguinsProject();
    const { summary, logs } = await run(
      dir,
      yaml(`    data_connector: DuckDBDataConnector
  data_connector:
    config:
      databases:
        pg: { type: postgres, connection_env: ${ENV} }
      query: |
        SELECT id, species, island, beak_length_mm, beak_depth_mm, flipper_length_mm, body_mass_g, sex
        FROM pg.public.penguins
        WHERE body_mass_g >= $min_mass OR body_mass_g IS NULL
        ORDER BY id
      params: { min_mass: 0 }
      extension_directory: ${extensions}`),
    );
    expectSameModel(summary, dir);
    expect(logs).toMatch(/read 2\d\d rows x 8 columns from query/);
    expect(logs).not.toContain(pg.password);
    for (const f of filesUnder(join(dir, ".lolpop")))
      expect(readFileSync(f, "latin1")).not.toContain(pg.password);
  }, 180_000);

  test("from a table of a SQLite file", async () => {
    const dir = penguinsProject();
    const db = join(dir, "data", "penguins.sqlite");
    await withDuckDB({ extension_directory: extensions }, async (s) => {
      await s.run("LOAD sqlite_scanner", { what: "test" });
      await s.run(`ATTACH '${db}' AS lite (TYPE sqlite)`, { what: "test" });
      await s.run(
        `CREATE TABLE lite.penguins AS SELECT * FROM read_csv('${join(dir, "data", "train.csv")}', header = true, nullstr = '')`,
        { what: "test" },
      );
    });
    const { summary } = await run(
      dir,
      yaml(`    data_connector: DuckDBDataConnector
  data_connector:
    config:
      databases:
        lite: { type: sqlite, path: data/penguins.sqlite }
      table: penguins
      extension_directory: ${extensions}`),
    );
    expectSameModel(summary, dir);
  }, 180_000);
});

describe("a SQL transform in the process pipeline", () => {
  test("is recorded with the model version and replayed at predict on data without the engineered column", async () => {
    const dir = penguinsProject();
    const sql = "SELECT *, beak_length_mm / beak_depth_mm AS beak_ratio FROM input";
    const { summary } = await run(
      dir,
      yaml(`    data_connector: LocalDataConnector
    data_transformer: DuckDBDataTransformer
  data_connector:
    config:
      path: data/train.csv
  data_transformer:
    config:
      sql: "${sql}"`),
    );
    expect(summary.train!.registered).toBe(true);
    // The version records the transform (type and SQL) it must replay.
    const metas = filesUnder(join(dir, ".lolpop")).filter((f) => f.endsWith("lolpop-model.json"));
    expect(metas.length).toBe(1);
    const meta = JSON.parse(readFileSync(metas[0]!, "utf8"));
    expect(meta.data_transformer).toMatchObject({ type: "DuckDBDataTransformer", config: { sql } });
    // Trained on the engineered column; the raw input the version expects does not have it.
    expect(meta.features.map((c: { name: string }) => c.name)).toContain("beak_ratio");
    expect(meta.input.columns.map((c: { name: string }) => c.name)).not.toContain("beak_ratio");
    // data/new.csv has no beak_ratio: predict computed it with the recorded SQL.
    expect(readFileSync(join(dir, "data", "new.csv"), "utf8")).not.toContain("beak_ratio");
    const newRows =
      readFileSync(join(dir, "data", "new.csv"), "utf8")
        .trim()
        .split("\n").length - 1;
    const predictions = readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")
      .trim()
      .split("\n");
    expect(predictions.length - 1).toBe(newRows);
    expect(predictions[0]).toMatch(/^id,prediction/);
  }, 180_000);
});

describe("Postgres errors", () => {
  test("a wrong password is a clear error without the connection string", async () => {
    const wrong = pg.url.replace(encodeURIComponent(pg.password), "not-the-password-42");
    process.env.LOLPOP_TEST_DUCKDB_PG_WRONG = wrong;
    const c = await make<DataConnector>(duckdbDataConnector, {
      databases: { pg: { type: "postgres", connection_env: "LOLPOP_TEST_DUCKDB_PG_WRONG" } },
      table: "public.penguins",
      extension_directory: extensions,
    });
    const e = (await c.get_data().catch((x) => x)) as DataError;
    expect(DataError.isInstance(e)).toBe(true);
    expect(e.code).toBe("database_unreachable");
    expect(e.message).toMatch(/database "pg": cannot attach the postgres database/);
    expect(e.message).toMatch(/password authentication failed/);
    expect(e.message).toContain("$LOLPOP_TEST_DUCKDB_PG_WRONG");
    expect(e.message).not.toContain("not-the-password-42");
    expect(JSON.stringify(e.details)).not.toContain("not-the-password-42");
    delete process.env.LOLPOP_TEST_DUCKDB_PG_WRONG;
  });

  test("an unset connection variable and a SQL error in a Postgres query", async () => {
    const unset = await make<DataConnector>(duckdbDataConnector, {
      databases: { pg: { type: "postgres", connection_env: "LOLPOP_TEST_DUCKDB_UNSET" } },
      table: "penguins",
      extension_directory: extensions,
    });
    const e1 = (await unset.get_data().catch((x) => x)) as DataError;
    expect(e1.code).toBe("missing_env");
    expect(e1.message).toMatch(/LOLPOP_TEST_DUCKDB_UNSET \(connection_env\) is not set/);
    const bad = await make<DataConnector>(duckdbDataConnector, {
      databases: { pg: { type: "postgres", connection_env: ENV } },
      query: "SELECT species, no_such_column\nFROM pg.public.penguins",
      extension_directory: extensions,
    });
    const e2 = (await bad.get_data().catch((x) => x)) as DataError;
    expect(e2.message).toMatch(/Referenced column "no_such_column" not found/);
    expect(e2.details).toMatchObject({ line: 1, column: 17 });
    expect(e2.message).not.toContain(pg.password);
  });

  test("an extension that is neither installed nor downloadable says where to put it", async () => {
    const c = await make<DataConnector>(duckdbDataConnector, {
      databases: { pg: { type: "postgres", connection_env: ENV } },
      table: "penguins",
      extension_directory: join(pg.dir, "no-extensions-here"),
      autoinstall_extensions: false,
    });
    const e = (await c.get_data().catch((x) => x)) as DataError;
    expect(e.code).toBe("duckdb_extension_missing");
    expect(e.message).toMatch(/postgres_scanner extension is not installed/);
    expect(e.message).toMatch(
      /no-extensions-here\/v1\.5\.5\/linux_amd64\/postgres_scanner\.duckdb_extension/,
    );
  });
});

test("the test Postgres listens on 127.0.0.1 only", () => {
  const r = spawnSync(
    "psql",
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(pg.port),
      "-U",
      pg.user,
      "-d",
      pg.database,
      "-A",
      "-t",
      "-c",
      "SHOW listen_addresses",
    ],
    {
      env: { ...process.env, PGPASSWORD: pg.password },
      encoding: "utf8",
    },
  );
  expect(r.stdout.trim()).toBe("127.0.0.1");
});
