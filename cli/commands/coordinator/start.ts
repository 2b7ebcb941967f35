import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { manifestFlags } from "../../workflows/manifest-flags.js";
import { Flags } from "@oclif/core";
import { ConfigError } from "../../../core/errors.js";
import { redactNatsUrl } from "../../../core/nats-credentials.js";
import { startCoordinator } from "../../../services/coordinator/start-coordinator.js";
import { coordinatorPlanning } from "../../../services/coordinator/coordinator-planning.js";
import { createLogger } from "../../workflows/create-logger.js";
import { SHUTDOWN_TIMEOUT_MS, serveUntilSignal } from "../../workflows/serve-until-signal.js";
import { resolveToken, tokenFileFlag } from "../../workflows/client-flags.js";

/** Shortest coordinator token accepted: 16 characters (`openssl rand -hex 32` makes 64). */
export const MIN_TOKEN_CHARS = 16;

/** Whether a HOST:PORT listen address is reachable from this machine only. */
export function isLoopbackListen(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

export interface CoordinatorStartResult {
  address: string;
  nats: string;
  replicas: number;
}

export default class CoordinatorStart extends SpecgridCommand {
  static override description =
    "Run the coordinator daemon: agents register with it over gRPC, sweeps are submitted to it, and it shards " +
    "them to the agents through NATS JetStream. Runs until SIGTERM/SIGINT. Logs JSON lines on stderr.";

  static override examples = [
    "openssl rand -hex 32 > /etc/specgrid/token && chmod 600 /etc/specgrid/token",
    "<%= config.bin %> <%= command.id %> --listen 0.0.0.0:7400 --nats nats://127.0.0.1:4222 --token-file /etc/specgrid/token --tls-cert server.pem --tls-key server.key",
    "SPECGRID_TOKEN_FILE=/etc/specgrid/token <%= config.bin %> <%= command.id %> --nats nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222 --replicas 3",
    "<%= config.bin %> <%= command.id %> --tls-cert server.pem --tls-key server.key --tls-client-ca ca.pem --token-file /etc/specgrid/token",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    "max-cells": manifestFlags["max-cells"],
    "max-prompt-bytes": manifestFlags["max-prompt-bytes"],
    listen: Flags.string({
      description: "gRPC listen address HOST:PORT (port 0 picks one)",
      default: "127.0.0.1:7400",
    }),
    nats: Flags.string({
      description:
        "NATS server URL (JetStream enabled); on a cluster list every node, comma-separated, so clients fail over",
      env: "NATS_URL",
      default: "nats://127.0.0.1:4222",
    }),
    "advertise-nats": Flags.string({ description: "NATS URL given to agents (default: --nats)" }),
    token: Flags.string({
      description: `bearer token every RPC must carry, at least ${MIN_TOKEN_CHARS} characters (prefer SPECGRID_TOKEN or --token-file: ps shows arguments)`,
      env: "SPECGRID_TOKEN",
    }),
    "token-file": tokenFileFlag(),
    "tls-cert": Flags.string({ description: "server certificate (PEM); enables TLS with --tls-key" }),
    "tls-key": Flags.string({ description: "server private key (PEM)" }),
    "tls-client-ca": Flags.string({
      description:
        "CA (PEM) that client certificates must chain to: turns on mutual TLS (clients pass --tls-cert/--tls-key)",
      // the old name, kept so existing units keep working; clients use --tls-ca for the server's CA instead
      aliases: ["tls-ca"],
      deprecateAliases: true,
    }),
    "heartbeat-ms": Flags.integer({ description: "agent heartbeat interval", default: 5000, min: 50 }),
    "liveness-ms": Flags.integer({
      description: "silence after which an agent counts as dead (default 3 × heartbeat)",
    }),
    "ack-wait-ms": Flags.integer({
      description: "JetStream ack wait of the job pools",
      default: 30000,
      min: 100,
    }),
    "max-deliver": Flags.integer({
      description: "deliveries of a shard before its cells are recorded failed",
      default: 5,
      min: 1,
    }),
    replicas: Flags.integer({
      description:
        "JetStream replicas of specgrid's streams and KV buckets: 1 on a single nats-server, 3 on a 3-node cluster",
      default: 1,
      min: 1,
      max: 5,
    }),
    "shutdown-timeout-ms": Flags.integer({
      description: "on SIGTERM/SIGINT, exit after this long even if NATS or a client holds the shutdown",
      default: SHUTDOWN_TIMEOUT_MS,
      min: 100,
    }),
    "target-shard-ms": Flags.integer({ description: "planned duration of one shard", min: 1 }),
  };

  async run(): Promise<CoordinatorStartResult> {
    const { flags } = await this.parse(CoordinatorStart);
    const token = resolveToken(flags, (m) => this.error(m, { exit: 2 }));
    if (!token)
      this.error(
        "no token: set SPECGRID_TOKEN or pass --token-file FILE (make one with `openssl rand -hex 32`); every RPC must carry it",
        { exit: 2 },
      );
    if (token.length < MIN_TOKEN_CHARS)
      this.error(
        `the token is ${token.length} characters: use at least ${MIN_TOKEN_CHARS} random ones (\`openssl rand -hex 32\` makes 64), ` +
          "since anyone who guesses it can submit sweeps and register agents",
        { exit: 2 },
      );
    const tls = flags["tls-cert"] !== undefined;
    if (!tls && !isLoopbackListen(flags.listen))
      this.warn(
        `--listen ${flags.listen} is reachable from other machines without TLS: the token and every sweep cross ` +
          "the network in clear text. Pass --tls-cert and --tls-key (docs/security.md), or listen on 127.0.0.1 behind a TLS proxy",
      );
    if ((flags["tls-cert"] === undefined) !== (flags["tls-key"] === undefined)) {
      this.error("TLS needs both --tls-cert and --tls-key", { exit: 2 });
    }
    if (flags["tls-client-ca"] !== undefined && flags["tls-cert"] === undefined)
      this.error(
        "--tls-client-ca (mutual TLS) needs TLS first: pass --tls-cert and --tls-key with the server's certificate",
        { exit: 2 },
      );
    const logger = createLogger({ name: "coordinator" });
    const running = await startCoordinator({
      listen: flags.listen,
      natsUrl: flags.nats,
      advertisedNatsUrl: flags["advertise-nats"],
      token,
      tls:
        flags["tls-cert"] && flags["tls-key"]
          ? { certFile: flags["tls-cert"], keyFile: flags["tls-key"], caFile: flags["tls-client-ca"] }
          : undefined,
      heartbeatMs: flags["heartbeat-ms"],
      livenessMs: flags["liveness-ms"],
      ackWaitMs: flags["ack-wait-ms"],
      maxDeliver: flags["max-deliver"],
      replicas: flags.replicas,
      logger,
      ...coordinatorPlanning({
        targetShardMs: flags["target-shard-ms"],
        maxCells: flags["max-cells"],
        maxPromptBytes: flags["max-prompt-bytes"],
      }),
    }).catch((err: unknown) => {
      // an unreadable certificate or key is bad input, like a bad flag
      if (err instanceof ConfigError) this.error(err.message, { exit: 2 });
      throw err;
    });
    this.log(`coordinator listening on ${running.address} (NATS ${redactNatsUrl(flags.nats)})`);
    await serveUntilSignal({
      stop: () => running.stop(),
      timeoutMs: flags["shutdown-timeout-ms"],
      what: "coordinator",
      warn: (m) => this.logToStderr(m),
    });
    return { address: running.address, nats: redactNatsUrl(flags.nats), replicas: flags.replicas };
  }
}
