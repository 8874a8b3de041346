#!/usr/bin/env node
// Runs verdaccio from a config file on 127.0.0.1, on a port the OS picks (no race for a free port).
// Started by registry.ts with an IPC channel: sends {port} once listening, and exits when the parent
// goes away (the channel closes), on SIGTERM/SIGINT, or when asked with {stop: true}, so a crashed or
// killed test never leaves a registry running.
//
//   node registry-server.mjs <config.yaml>
import verdaccio from "verdaccio";

const configPath = process.argv[2];
if (!configPath) {
  console.error("usage: registry-server.mjs <config.yaml>");
  process.exit(2);
}

let server;
function stop(code = 0) {
  if (!server) process.exit(code);
  server.close(() => process.exit(code));
  // Keep-alive sockets of npm/pnpm would hold close() open: do not wait for them.
  server.closeAllConnections?.();
  setTimeout(() => process.exit(code), 2000).unref();
}

process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));
process.on("disconnect", () => stop(0));
process.on("message", (m) => {
  if (m && typeof m === "object" && m.stop) stop(0);
});

try {
  server = await verdaccio.runServer(configPath);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    if (process.send) process.send({ port });
    else console.log(JSON.stringify({ port }));
  });
  server.on("error", (err) => {
    console.error(err);
    process.exit(1);
  });
} catch (err) {
  console.error(err);
  process.exit(1);
}
