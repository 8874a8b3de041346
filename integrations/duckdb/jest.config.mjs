import { jestConfig } from "../../jest.base.mjs";

// Tests run DuckDB, pandas/pyarrow in the project venv and a throwaway Postgres cluster: allow slow steps.
export default jestConfig(import.meta.url, { testTimeout: 120_000 });
