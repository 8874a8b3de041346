// Like the repo's root config, but without a root testTimeout: only the projects' own timeouts
// (jest.base.mjs) stand between these tests and jest's 5 s default.
export default {
  projects: ["<rootDir>/default/jest.config.mjs", "<rootDir>/lowered/jest.config.mjs"],
};
