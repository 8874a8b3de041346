// `lolpop doctor`: Python and the modules plugins need, servers named in the config (a real HTTP
// server on 127.0.0.1 and a closed port), each problem with a fix, and no credentials in the output.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { json, linkPackages, lolpopAsync, tempDir, writePackage } from "./cli-helpers.js";
import { repoRoot } from "./helpers.js";

const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
const dir = tempDir("lolpop-doctor-");
let server: Server;
let port = 0;
let closedPort = 0;

beforeAll(async () => {
  linkPackages(dir, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows"]);
  writePackage(
    join(dir, "node_modules", "lolpop-fixture-python"),
    {
      name: "lolpop-fixture-python",
      version: "1.0.0",
      type: "module",
      exports: { ".": "./index.js", "./package.json": "./package.json" },
      lolpop: {
        apiVersion: 1,
        components: [],
        python: { packages: ["scikit-learn", "lolpop-surely-missing-dist==1.0.0"] },
      },
    },
    {
      "index.js":
        'import { definePlugin, registerPlugin } from "@lolpop/core";\nexport default registerPlugin(definePlugin({ name: "lolpop-fixture-python", version: "1.0.0", components: [] }));\n',
    },
  );
  writePackage(dir, {
    name: "doctor-project",
    private: true,
    type: "module",
    dependencies: {
      "@lolpop/core": "*",
      "@lolpop/local": "*",
      "@lolpop/workflows": "*",
      "lolpop-fixture-python": "*",
    },
  });
  server = createServer((_req, res) => res.end("ok")).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  port = (server.address() as AddressInfo).port;
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => probe.once("listening", r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  writeFileSync(
    join(dir, "servers.yaml"),
    `runner: ClassificationRunner
config:
  tracking_uri: http://127.0.0.1:${port}/api
  registry_uri: http://ci-user:s3cretpass@127.0.0.1:${closedPort}/
pipelines: {}
`,
  );
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("lolpop doctor", () => {
  it("checks Python modules the plugins need and the config's servers, with a fix per problem", async () => {
    if (!existsSync(python)) throw new Error(`no Python venv at ${python}: run \`pnpm python:setup\` first`);
    const r = await lolpopAsync(["doctor", "servers.yaml", "--json"], dir, { LOLPOP_PYTHON: python });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain("s3cretpass");
    const doc = json<{
      ok: boolean;
      checks: Array<{ area: string; name: string; status: string; detail: string; fix?: string }>;
    }>(r);
    const find = (area: string, name: string) => doc.checks.find((c) => c.area === area && c.name === name)!;
    expect(find("node", "node")).toMatchObject({ status: "ok" });
    expect(find("core", "@lolpop/core")).toMatchObject({ status: "ok" });
    expect(find("python", "python").detail).toMatch(
      new RegExp(`Python 3\\.\\d+\\.\\d+ at ${python} \\(from LOLPOP_PYTHON\\)`),
    );
    expect(find("python", "scikit-learn")).toMatchObject({ status: "ok" });
    expect(find("python", "scikit-learn").detail).toMatch(
      /lolpop-fixture-python needs scikit-learn; installed \d+\.\d+/,
    );
    const missing = find("python", "lolpop-surely-missing-dist");
    expect(missing).toMatchObject({ status: "fail" });
    expect(missing.detail).toMatch(/needs lolpop-surely-missing-dist==1\.0\.0; not installed/);
    expect(missing.fix).toBe(`${python} -m pip install 'lolpop-surely-missing-dist==1.0.0'`);
    expect(find("server", "config.tracking_uri")).toMatchObject({ status: "ok" });
    expect(find("server", "config.tracking_uri").detail).toMatch(/reachable \(HTTP 200\)/);
    const down = find("server", "config.registry_uri");
    expect(down).toMatchObject({ status: "fail" });
    expect(down.detail).toMatch(
      new RegExp(`http://\\*\\*\\*:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/: unreachable \\(ECONNREFUSED\\)`),
    );
    expect(down.fix).toMatch(/start the server or fix config\.registry_uri/);
  });

  it("prints the same for people, ending with the count of problems", async () => {
    const r = await lolpopAsync(["doctor", "servers.yaml"], dir, { LOLPOP_PYTHON: python });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}python lolpop-surely-missing-dist: .*\n {6}fix: .* -m pip install/m);
    expect(r.stdout).toMatch(/2 problem\(s\), 0 warning\(s\)$/m);
  });
});
