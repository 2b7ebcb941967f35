// gRPC adapter: bearer-token check on every call, errors through toGrpcStatus, nothing else.
import { timingSafeEqual } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ConfigError, SpecgridError } from "../../core/errors.js";
import { toGrpcStatus } from "../../core/wire/grpc-status.js";
import { readPemFile } from "../../core/wire/read-pem-file.js";
import { CoordinatorService, type CoordinatorServer } from "../../core/wire/generated.js";
import type { SweepEvent } from "../../core/wire/nats-payloads.js";
import { agentInfoToProto, registrationFromProto } from "../../core/wire/agent-info-wire.js";
import { RESULTS_SUBJECT_PREFIX, EVENTS_SUBJECT_PREFIX, JOBS_STREAM } from "../../core/nats-names.js";
import type { Coordinator } from "./coordinator.js";
import type { ProgressTracker } from "./progress-tracker.js";
import type { TlsFiles } from "./coordinator-options.js";

function authorized(metadata: grpc.Metadata, token: string): boolean {
  const value = metadata.get("authorization")[0];
  if (typeof value !== "string" || !value.startsWith("Bearer ")) return false;
  const given = Buffer.from(value.slice("Bearer ".length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const UNAUTHENTICATED = new SpecgridError(
  "UNAUTHENTICATED",
  "missing or wrong bearer token: pass --token or set SPECGRID_TOKEN to the coordinator's token",
);

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

function unary<Req, Res>(
  token: string,
  logger: Logger,
  name: string,
  fn: (req: Req) => Promise<Res> | Res,
): Unary<Req, Res> {
  return (call, callback) => {
    if (!authorized(call.metadata, token)) {
      logger.warn({ rpc: name, peer: call.getPeer() }, "rejected: unauthenticated");
      callback(toGrpcStatus(UNAUTHENTICATED), null);
      return;
    }
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => {
          logger.info({ rpc: name, err: err instanceof Error ? err.message : String(err) }, "rpc failed");
          callback(toGrpcStatus(err), null);
        },
      );
  };
}

// With a client CA, the handshake itself refuses a client without a certificate signed by it, before any
// RPC (and its token check) runs: mutual TLS adds to the bearer token, it does not replace it.
function serverTlsCredentials(tls: TlsFiles): grpc.ServerCredentials {
  const clientCa = tls.caFile === undefined ? null : readPemFile(tls.caFile, "--tls-client-ca (client CA)");
  const keyCertPair = {
    cert_chain: readPemFile(tls.certFile, "--tls-cert (server certificate)"),
    private_key: readPemFile(tls.keyFile, "--tls-key (server key)"),
  };
  return grpc.ServerCredentials.createSsl(clientCa, [keyCertPair], clientCa !== null);
}

/** Largest reply the coordinator sends (GetSweep of a large sweep). */
export const MAX_REPLY_BYTES = 256 * 1024 * 1024;

export interface GrpcServerOptions {
  listen: string;
  token: string;
  tls?: TlsFiles;
  natsUrl: string;
  heartbeatMs: number;
  coordinator: Coordinator;
  progress: ProgressTracker;
  logger: Logger;
}

export async function startGrpcServer(o: GrpcServerOptions): Promise<{ server: grpc.Server; port: number }> {
  const { coordinator: c, token, logger } = o;
  const impl: CoordinatorServer = {
    register: unary(token, logger, "Register", async (req) => {
      const info = await c.register(registrationFromProto(req));
      return {
        agentId: info.agentId,
        heartbeatMs: o.heartbeatMs,
        jobsStream: JOBS_STREAM,
        resultsSubjectPrefix: RESULTS_SUBJECT_PREFIX,
        eventsSubjectPrefix: EVENTS_SUBJECT_PREFIX,
        natsUrl: o.natsUrl,
      };
    }),
    heartbeat: unary(token, logger, "Heartbeat", (req) => c.heartbeat(req)),
    submitSweep: unary(token, logger, "SubmitSweep", (req) => c.submit(req)),
    getSweep: unary(token, logger, "GetSweep", (req) => c.getSweep(req.sweepId)),
    listSweeps: unary(token, logger, "ListSweeps", () => ({ sweeps: c.list() })),
    cancelSweep: unary(token, logger, "CancelSweep", (req) => c.cancel(req.sweepId)),
    listAgents: unary(token, logger, "ListAgents", () => ({ agents: c.agents().map(agentInfoToProto) })),
    watchSweep: (call) => {
      if (!authorized(call.metadata, token)) {
        call.destroy(Object.assign(new Error(UNAUTHENTICATED.message), toGrpcStatus(UNAUTHENTICATED)));
        return;
      }
      const sweepId = call.request.sweepId;
      let status;
      try {
        status = c.status(sweepId);
      } catch (err) {
        call.destroy(Object.assign(new Error(String(err)), toGrpcStatus(err)));
        return;
      }
      const first: SweepEvent = {
        sweepId,
        kind: "status",
        status: status.state,
        at: new Date().toISOString(),
        cellsDone: status.done,
        cellsTotal: status.placementsTotal,
      };
      call.write(first);
      if (status.state !== "running") {
        call.end();
        return;
      }
      const onEvent = (e: SweepEvent): void => {
        if (e.sweepId !== sweepId) return;
        call.write(e);
        if (e.kind === "sweep-done" || e.kind === "cancelled") finish();
      };
      const finish = (): void => {
        o.progress.events.off("event", onEvent);
        call.end();
      };
      o.progress.events.on("event", onEvent);
      call.on("cancelled", () => o.progress.events.off("event", onEvent));
    },
  };
  // GetSweep with detail carries every shard (each cell with its prompt): large sweeps exceed grpc's 4 MiB
  // default. Requests keep the default receive bound, so an oversized request is still refused.
  const server = new grpc.Server({ "grpc.max_send_message_length": MAX_REPLY_BYTES });
  server.addService(CoordinatorService, impl);
  const creds = o.tls ? serverTlsCredentials(o.tls) : grpc.ServerCredentials.createInsecure();
  // grpc-js says only "No address added out of total 1 resolved" for a taken port
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(o.listen, creds, (err, p) =>
      err
        ? reject(
            new ConfigError(
              `cannot listen on ${o.listen} (${err.message}): the port is taken (another coordinator, or ` +
                "another program: `ss -ltnp` shows which) or the host is not an address of this machine. " +
                "Pass another --listen HOST:PORT, or stop what holds the port.",
              { listen: o.listen },
            ),
          )
        : resolve(p),
    ),
  );
  return { server, port };
}
