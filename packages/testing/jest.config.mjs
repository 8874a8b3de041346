import { jestConfig } from "../../jest.base.mjs";

export default jestConfig(import.meta.url, { testTimeout: 60000 });
