// The project's testTimeout is 1000 ms and applies to hooks too: this beforeAll fails the test.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => sleep(1500));

test("a test after a hook slower than the project's timeout", () => {
  expect(true).toBe(true);
});
