// Builds the Temporal CLI (dev server) when it is not cached yet: see scripts/temporal-setup.mjs.
import { ensureTemporalBinary } from "../../../scripts/temporal-setup.mjs";

export default async function globalSetup() {
  process.env.LOLPOP_TEMPORAL_BIN_PATH = ensureTemporalBinary();
}
