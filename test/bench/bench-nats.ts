// nats-server for the pipeline benchmark: the product's own launcher with the server's defaults, as users run
// it. Sweeps of any size fit the default 1 MiB max_payload: shards are cut under one message and the sweep
// record's shard list is stored in pieces.
import { launchNatsServer, type LaunchedNats } from "../../services/nats/launch-nats-server.js";

/** nats-server's default max_payload, which the benchmark runs under. */
export const BENCH_MAX_PAYLOAD_BYTES = 1024 * 1024;

export function launchBenchNats(): Promise<LaunchedNats> {
  return launchNatsServer();
}
