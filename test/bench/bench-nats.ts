// nats-server for the pipeline benchmark: the product's launcher, pointed at a wrapper that adds a config
// raising max_payload to 64 MiB (nats-server has no command-line flag for it). Needed because the
// coordinator keeps a whole sweep (every shard and cell) in one KV value: a 20,000-cell sweep is several MB
// and the default 1 MiB limit refuses it at submit. The limit is a finding of this benchmark, not a setting
// it hides: docs/performance.md says so.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { launchNatsServer, type LaunchedNats } from "../../services/nats/launch-nats-server.js";

export const BENCH_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export async function launchBenchNats(): Promise<LaunchedNats> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-bench-nats-"));
  const conf = path.join(dir, "nats.conf");
  await writeFile(conf, `max_payload: ${BENCH_MAX_PAYLOAD_BYTES}\n`);
  const wrapper = path.join(dir, "nats-server");
  // exec: the wrapper becomes nats-server, so the launcher's process-group signals reach the server itself
  await writeFile(wrapper, `#!/bin/sh\nexec nats-server -c '${conf}' "$@"\n`);
  await chmod(wrapper, 0o755);
  const nats = await launchNatsServer({ binary: wrapper });
  return {
    ...nats,
    async stop() {
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
