// Its test passes, then its afterAll fails: the file fails without a failed test.
afterAll(() => {
  throw new Error("cleanup failed");
});

test("passes before a failing afterAll", () => {
  expect(true).toBe(true);
});
