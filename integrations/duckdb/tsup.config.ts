import { defineConfig } from "tsup";
import { tsupConfig } from "../../tsup.base.mjs";

export default defineConfig(tsupConfig());
