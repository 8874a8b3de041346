/**
 * @lolpop/python-bridge: run Python from lolpop integrations. Finds an interpreter, checks the
 * distributions a worker needs (with the exact `pip install` line when one is missing), runs a
 * long-lived worker speaking JSON-RPC 2.0 over stdio with tables and arrays as binary buffers,
 * enforces per-call timeouts and cancellation, and leaves no worker process behind.
 *
 * A library, not a plugin: importing it registers nothing.
 */
export {
  type FindPythonOptions,
  findPython,
  type PythonLocation,
  venvPython,
  whichSync,
} from "./find-python.js";
export { liveWorkerPids } from "./process-cleanup.js";
export {
  type BinaryArray,
  decodeValue,
  type EncodedTable,
  encodeFrame,
  encodeTable,
  type Frame,
  FrameDecoder,
  PROTOCOL_VERSION,
} from "./protocol.js";
export { PythonCallError } from "./python-call-error.js";
export {
  definePythonIntegration,
  type PythonIntegration,
  type PythonIntegrationSetupOptions,
  type PythonIntegrationSpec,
  type PythonIntegrationWorkerOptions,
} from "./python-integration.js";
export { PythonModuleMissingError, type UnmetRequirement } from "./python-module-missing-error.js";
export { PythonNotFoundError } from "./python-not-found-error.js";
export { PythonTimeoutError } from "./python-timeout-error.js";
export {
  type PythonCallOptions,
  type PythonHandlerModule,
  PythonWorker,
  type PythonWorkerInfo,
  type PythonWorkerOptions,
  requirementsLine,
  WORKER_SCRIPT,
} from "./python-worker.js";
export { PythonWorkerError } from "./python-worker-error.js";
export {
  installSpec,
  type PythonRequirement,
  parseRelease,
  parseRequirementLine,
  parseRequirements,
  pipInstallCommand,
  readRequirementsFile,
  satisfiesVersion,
  shellQuote,
  unmetRequirements,
} from "./requirements.js";
export { type SetupPythonEnvOptions, type SetupPythonEnvResult, setupPythonEnv } from "./setup-venv.js";
