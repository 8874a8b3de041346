import { jestConfig } from "../../jest.base.mjs";

// Forest fits and the scikit-learn reference runs take seconds each on a busy 2-core machine.
export default jestConfig(import.meta.url, { testTimeout: 120000 });
