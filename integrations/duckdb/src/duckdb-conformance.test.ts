// @lolpop/testing's conformance suite, as plugin authors run it: both components (schema, defaults,
// no secrets in config echoes, behaviour of their kind: Parquet and CSV round trips for the
// connector) and the plugin package (manifest, exports, self-registration).

import { join } from "node:path";
import { describeConformance, describePluginPackage } from "@lolpop/testing";
import { duckdbDataConnector } from "./duckdb-data-connector.js";
import { duckdbDataTransformer } from "./duckdb-data-transformer.js";
import { packageDir } from "./duckdb-test-utils.js";
import { duckdbPlugin } from "./index.js";

describeConformance(duckdbDataConnector, { connectorTarget: (dir) => join(dir, "conformance.parquet") });
describeConformance(duckdbDataConnector, { connectorTarget: (dir) => join(dir, "conformance.csv") });
describeConformance(duckdbDataTransformer, { config: { sql: "SELECT * FROM input" } });
describePluginPackage({ dir: packageDir, plugin: duckdbPlugin });
