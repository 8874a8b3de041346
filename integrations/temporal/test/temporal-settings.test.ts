// The TLS and API-key settings of the orchestrator (Temporal Cloud): validation names the key and
// says what to do; the connection options read the files and the env var; the key never appears
// in settings or errors. (No Cloud connection: that needs an account.)
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionSecurity, TemporalConfigError, temporalSettings } from "../src/index.js";

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(TemporalConfigError.isInstance(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected a TemporalConfigError");
};

test("tls and api_key_env are validated with the key's path and what to do", () => {
  expect(messageOf(() => temporalSettings({ tls: { cert_path: "c.pem" } }))).toBe(
    "orchestrator.tls: give both cert_path and key_path (the client certificate and its key), or neither",
  );
  expect(messageOf(() => temporalSettings({ tls: { cert: "c.pem" } }))).toBe(
    "orchestrator.tls.cert: unknown key; the keys here are cert_path, key_path, server_name, ca_path",
  );
  expect(messageOf(() => temporalSettings({ tls: "yes" }))).toContain("orchestrator.tls: must be a mapping");
  const secret = "tmprl-abc.def-SECRET-123";
  const m = messageOf(() => temporalSettings({ api_key_env: secret }));
  expect(m).toContain("orchestrator.api_key_env: must be the NAME of an environment variable");
  expect(m).not.toContain(secret);
  const s = temporalSettings({
    address: "my-ns.a1b2c.tmprl.cloud:7233",
    tls: { cert_path: "c.pem", key_path: "k.pem", server_name: "my-ns.a1b2c.tmprl.cloud" },
    api_key_env: "MY_TEMPORAL_KEY",
  });
  expect(s.tls).toEqual({ cert_path: "c.pem", key_path: "k.pem", server_name: "my-ns.a1b2c.tmprl.cloud" });
  expect(s.api_key_env).toBe("MY_TEMPORAL_KEY");
});

test("the connection reads the certificate files and the API key from the environment, never naming the key", () => {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-temporal-tls-"));
  writeFileSync(join(dir, "c.pem"), "CERT");
  writeFileSync(join(dir, "k.pem"), "KEY");
  const settings = temporalSettings({
    tls: { cert_path: join(dir, "c.pem"), key_path: join(dir, "k.pem"), server_name: "srv" },
    api_key_env: "MY_TEMPORAL_KEY",
  });
  const secret = "tmprl-abc.def-SECRET-123";
  const sec = connectionSecurity(settings, { MY_TEMPORAL_KEY: secret });
  expect(sec.apiKey).toBe(secret);
  expect(sec.tls?.serverNameOverride).toBe("srv");
  expect(String(sec.tls?.clientCertPair?.crt)).toBe("CERT");
  expect(String(sec.tls?.clientCertPair?.key)).toBe("KEY");
  // An API key alone turns TLS on.
  expect(connectionSecurity(temporalSettings({ api_key_env: "K" }), { K: secret })).toEqual({
    apiKey: secret,
    tls: {},
  });
  expect(messageOf(() => connectionSecurity(settings, {}))).toBe(
    "orchestrator.api_key_env: the environment variable MY_TEMPORAL_KEY is not set: export it with the API key",
  );
  const missing = temporalSettings({
    tls: { cert_path: join(dir, "nope.pem"), key_path: join(dir, "k.pem") },
  });
  expect(messageOf(() => connectionSecurity(missing, {}))).toBe(
    `orchestrator.tls.cert_path: cannot read ${join(dir, "nope.pem")} (ENOENT)`,
  );
  // Settings (what may be logged or passed to workers) hold the variable's name, not the key.
  expect(JSON.stringify(settings)).not.toContain(secret);
});
