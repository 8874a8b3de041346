// The project's testTimeout is 1000 ms: a 1.5 s test fails, unless it sets its own timeout.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a test slower than the project's timeout", async () => {
  await sleep(1500);
});

test("a test as slow with its own timeout", async () => {
  await sleep(1500);
}, 10_000);
