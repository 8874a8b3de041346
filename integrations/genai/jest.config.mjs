import { jestConfig } from "../../jest.base.mjs";

export default jestConfig(import.meta.url, {
  // Fetches the default local model (fast when cached) so the local provider is tested on it.
  globalSetup: "<rootDir>/test/global-setup.mjs",
});
