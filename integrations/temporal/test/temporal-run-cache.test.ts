// The per-run cache the trial activities share on a worker: made once per key (also when asked
// concurrently), bounded (least recently used first out), failures not kept, a run's entries dropped.
import { RunCache } from "../src/temporal-run-cache.js";

test("a value is made once per key, the least recently used goes first, failures are not kept", async () => {
  const cache = new RunCache<string>({ max: 2 });
  let made = 0;
  const make = (v: string) => async () => {
    made++;
    return v;
  };
  const [a1, a2] = await Promise.all([cache.get("r1", "a", make("A")), cache.get("r1", "a", make("A"))]);
  expect({ a1, a2, made }).toEqual({ a1: "A", a2: "A", made: 1 });
  await cache.get("r1", "b", make("B"));
  await cache.get("r1", "a", make("A")); // a is now the most recently used
  await cache.get("r2", "c", make("C")); // evicts b
  expect({ size: cache.size, made }).toEqual({ size: 2, made: 3 });
  await cache.get("r1", "a", make("A"));
  expect(made).toBe(3);
  await cache.get("r1", "b", make("B"));
  expect(made).toBe(4);

  await expect(
    cache.get("r3", "bad", async () => {
      throw new Error("cannot read");
    }),
  ).rejects.toThrow("cannot read");
  await new Promise((r) => setImmediate(r));
  expect(await cache.get("r3", "bad", make("fixed"))).toBe("fixed");
});

test("dropRun forgets a run's entries; idle entries expire", async () => {
  const cache = new RunCache<number>({ max: 4, idleMs: 50 });
  await cache.get("r1", "x", async () => 1);
  await cache.get("r1", "y", async () => 2);
  await cache.get("r2", "z", async () => 3);
  cache.dropRun("r1");
  expect(cache.size).toBe(1);
  await new Promise((r) => setTimeout(r, 120));
  expect(cache.size).toBe(0);
});
