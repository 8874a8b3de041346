// Applies the project's timeout (jest.base.mjs passes it in `globals`) to its tests and hooks:
// jest 30 ignores `testTimeout` in a `projects` entry but honours jest.setTimeout per project.
jest.setTimeout(globalThis.__lolpopTestTimeout);
