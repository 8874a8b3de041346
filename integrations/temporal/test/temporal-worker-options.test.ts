// `lolpop worker` connection flags (TLS, API key, -c config): argument handling, the errors (naming
// the flag, never repeating a key), the connection options they build, and against the real dev
// server that TLS is really asked for. (A TLS connection that succeeds needs a TLS server: the dev
// server speaks plain TCP only, so mTLS and API keys are checked up to the connection options.)
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PluginCommandContext } from "@lolpop/core";
import { TemporalConfigError, workerConnectionOptions, workerSettings } from "../src/index.js";
import workerCommand, { WORKER_HELP } from "../src/temporal-worker-command.js";
import { describeSecurity } from "../src/temporal-worker-options.js";
import { lolpop, penguinsProject, startDevServer, stopAll } from "./harness.js";

const SECRET = "tmprl-abc.def-SECRET-123";

afterAll(async () => {
  await stopAll();
}, 30_000);

function certs(): string {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-temporal-worker-tls-"));
  writeFileSync(join(dir, "c.pem"), "CERT");
  writeFileSync(join(dir, "k.pem"), "KEY");
  writeFileSync(join(dir, "ca.pem"), "CA");
  return dir;
}

async function messageOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(TemporalConfigError.isInstance(e)).toBe(true);
  return (e as Error).message;
}

/** Runs the command in-process (no server: every case here fails before connecting). */
async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const ctx = {
    cwd,
    projectRoot: cwd,
    plugin: { name: "@lolpop/temporal", dir: cwd },
    command: "worker",
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: (t: string) => {
      stderr += t;
    },
    discoverPlugins: async () => {
      throw new Error("not used");
    },
  } as unknown as PluginCommandContext;
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await workerCommand(args, ctx);
    return { code, stdout, stderr };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
  }
}

test("the TLS and API-key flags make the settings and the connection options", async () => {
  const dir = certs();
  const { settings } = await workerSettings(
    {
      address: "my-ns.a1b2c.tmprl.cloud:7233",
      namespace: "my-ns.a1b2c",
      "tls-cert": "c.pem",
      "tls-key": join(dir, "k.pem"),
      "tls-ca": "ca.pem",
      "tls-server-name": "my-ns.a1b2c.tmprl.cloud",
      "api-key-env": "MY_TEMPORAL_KEY",
    },
    dir,
    { MY_TEMPORAL_KEY: SECRET },
  );
  // Relative paths are from the worker's folder.
  expect(settings.tls).toEqual({
    cert_path: join(dir, "c.pem"),
    key_path: join(dir, "k.pem"),
    ca_path: join(dir, "ca.pem"),
    server_name: "my-ns.a1b2c.tmprl.cloud",
  });
  expect(settings).toMatchObject({
    address: "my-ns.a1b2c.tmprl.cloud:7233",
    namespace: "my-ns.a1b2c",
    api_key_env: "MY_TEMPORAL_KEY",
  });
  expect(JSON.stringify(settings)).not.toContain(SECRET);
  const options = workerConnectionOptions(settings, { MY_TEMPORAL_KEY: SECRET });
  expect({
    address: options.address,
    crt: String(options.tls?.clientCertPair?.crt),
    key: String(options.tls?.clientCertPair?.key),
    ca: String(options.tls?.serverRootCACertificate),
    serverName: options.tls?.serverNameOverride,
    apiKey: options.apiKey,
  }).toEqual({
    address: "my-ns.a1b2c.tmprl.cloud:7233",
    crt: "CERT",
    key: "KEY",
    ca: "CA",
    serverName: "my-ns.a1b2c.tmprl.cloud",
    apiKey: SECRET,
  });
  expect(describeSecurity(settings)).toBe("TLS, client certificate, API key from $MY_TEMPORAL_KEY");
  // No flags: plain TCP, no TLS options at all.
  const plain = (await workerSettings({}, dir, {})).settings;
  expect(workerConnectionOptions(plain, {})).toEqual({ address: "127.0.0.1:7233" });
  expect(describeSecurity(plain)).toBe("plain TCP");
});

test("-c takes the connection from the config's orchestrator section; flags win key by key", async () => {
  const dir = certs();
  writeFileSync(
    join(dir, "lolpop.yaml"),
    [
      "orchestrator:",
      "  type: TemporalOrchestrator",
      "  address: cfg-host:7233",
      "  namespace: cfg-ns",
      "  task_queue: cfg-q",
      "  tls: { cert_path: c.pem, key_path: k.pem, server_name: cfg-name }",
      "  api_key_env: CFG_KEY",
      "",
    ].join("\n"),
  );
  const { settings, configFile } = await workerSettings(
    { config: "lolpop.yaml", "task-queue": "big-memory", "tls-server-name": "flag-name" },
    dir,
    { CFG_KEY: SECRET },
  );
  expect(configFile).toBe(join(dir, "lolpop.yaml"));
  expect(settings).toMatchObject({
    address: "cfg-host:7233",
    namespace: "cfg-ns",
    task_queue: "big-memory",
    tls: { cert_path: "c.pem", key_path: "k.pem", server_name: "flag-name" },
    api_key_env: "CFG_KEY",
  });
  // The config's bad keys are reported with their path, as for lolpop run.
  writeFileSync(
    join(dir, "bad.yaml"),
    "orchestrator:\n  type: TemporalOrchestrator\n  tls: { cert: c.pem }\n",
  );
  expect(await messageOf(workerSettings({ config: "bad.yaml" }, dir, {}))).toBe(
    "orchestrator.tls.cert: unknown key; the keys here are cert_path, key_path, server_name, ca_path",
  );
  writeFileSync(join(dir, "none.yaml"), "runner: ClassificationRunner\n");
  expect(await messageOf(workerSettings({ config: "none.yaml" }, dir, {}))).toContain(
    "none.yaml has no orchestrator: mapping to take the connection from",
  );
  // A flag's key replaces the config's pair half: still a pair.
  expect(
    (await workerSettings({ config: "lolpop.yaml", "tls-key": "k.pem" }, dir, { CFG_KEY: "x" })).settings.tls
      ?.key_path,
  ).toBe(join(dir, "k.pem"));
});

test("bad flags are clear errors naming the flag; an API key given as a value is never echoed", async () => {
  const dir = certs();
  expect(await messageOf(workerSettings({ "tls-cert": "c.pem" }, dir, {}))).toBe(
    "--tls-cert: give --tls-key too (the client certificate's private key, PEM)",
  );
  expect(await messageOf(workerSettings({ "tls-key": "k.pem" }, dir, {}))).toBe(
    "--tls-key: give --tls-cert too (the client certificate, PEM)",
  );
  expect(await messageOf(workerSettings({ "tls-ca": "nope.pem" }, dir, {}))).toBe(
    "--tls-ca: cannot read nope.pem (ENOENT)",
  );
  expect(await messageOf(workerSettings({ "tls-server-name": " " }, dir, {}))).toBe(
    "--tls-server-name: needs a value",
  );
  expect(await messageOf(workerSettings({ "api-key-env": "MISSING_KEY" }, dir, {}))).toBe(
    "--api-key-env: the environment variable MISSING_KEY is not set: export it with the API key",
  );
  const m = await messageOf(workerSettings({ "api-key-env": SECRET }, dir, {}));
  expect(m).toContain("--api-key-env: takes the NAME of the environment variable");
  expect(m).not.toContain(SECRET);

  // Through the command: exit 2, the message on stderr, nothing printed with the key.
  const r = await run(["--api-key-env", SECRET], dir);
  expect(r).toEqual({
    code: 2,
    stdout: "",
    stderr: expect.stringContaining("lolpop worker: --api-key-env:"),
  });
  expect(r.stderr).not.toContain(SECRET);
  expect((await run(["--tls-cert", "c.pem"], dir)).stderr).toBe(
    "lolpop worker: --tls-cert: give --tls-key too (the client certificate's private key, PEM)\n",
  );
  const unknown = await run(["--tls-certificate", "c.pem"], dir);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("Unknown option '--tls-certificate'");
  const help = await run(["--help"], dir);
  expect(help.code).toBe(0);
  for (const flag of [
    "--tls-cert",
    "--tls-key",
    "--tls-ca",
    "--tls-server-name",
    "--api-key-env",
    "--config",
  ])
    expect(help.stdout).toContain(flag);
  expect(help.stdout).toBe(WORKER_HELP);
});

test("with an API key the worker asks the real server for TLS (the plain dev server refuses), key unprinted", async () => {
  const server = await startDevServer();
  const p = penguinsProject();
  const r = lolpop(
    ["worker", "--address", server.address, "--api-key-env", "MY_TEMPORAL_KEY", "--task-queue", "q-tls"],
    p.dir,
    { MY_TEMPORAL_KEY: SECRET },
  );
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`lolpop worker: cannot reach Temporal at ${server.address}`);
  expect(r.stdout + r.stderr).not.toContain(SECRET);
}, 120_000);
