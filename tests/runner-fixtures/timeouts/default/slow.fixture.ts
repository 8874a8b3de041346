// Each step outlasts jest's 5 s default; the project's default timeout (30 s) lets both pass.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => sleep(5500));

test("a test slower than 5 s", async () => {
  await sleep(5500);
  expect(true).toBe(true);
});
