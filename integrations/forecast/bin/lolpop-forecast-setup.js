#!/usr/bin/env node
// Creates or updates the project's .venv with the Python packages the Prophet forecaster needs.
import { runSetupCli } from "../dist/setup.js";

process.exitCode = runSetupCli(process.argv.slice(2));
