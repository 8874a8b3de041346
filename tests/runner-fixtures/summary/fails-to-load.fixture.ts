// Fails to load: the module it imports does not exist, so none of its tests is ever counted by jest.
import { missing } from "./no-such-module.js";

test("never runs", () => {
  expect(missing).toBe(1);
});
