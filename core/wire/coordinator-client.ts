// A promise-shaped Coordinator client that attaches the bearer token to every call and turns gRPC errors
// into SpecgridErrors. Used by the agent daemon and the CLI; creating it opens nothing until the first call.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import {
  CoordinatorClient as PbCoordinatorClient,
  type AgentInfo,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterRequest,
  type RegisterResponse,
  type SubmitSweepRequest,
  type SubmitSweepResponse,
  type SweepStatus,
} from "../../proto/gen/specgrid/v1/coordinator.js";
import type { Event as SweepEvent } from "../../proto/gen/specgrid/v1/types.js";
import { fromGrpcError } from "./grpc-status.js";

export interface CoordinatorClientOptions {
  /** host:port */
  address: string;
  token: string;
  /** CA file to verify the coordinator's TLS certificate; plain text when neither this nor `tls` is set. */
  tlsCaFile?: string;
  /** Use TLS with the system roots. */
  tls?: boolean;
  /** Per-call deadline. @default 15000 */
  callTimeoutMs?: number;
}

export interface CoordinatorClient {
  register(req: RegisterRequest): Promise<RegisterResponse>;
  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse>;
  submitSweep(req: SubmitSweepRequest): Promise<SubmitSweepResponse>;
  getSweep(sweepId: string): Promise<SweepStatus>;
  listSweeps(): Promise<SweepStatus[]>;
  cancelSweep(sweepId: string): Promise<SweepStatus>;
  listAgents(): Promise<AgentInfo[]>;
  /** Progress events until the sweep ends or `signal` aborts. */
  watchSweep(sweepId: string, signal?: AbortSignal): AsyncIterable<SweepEvent>;
  close(): void;
}

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;

export function createCoordinatorClient(o: CoordinatorClientOptions): CoordinatorClient {
  const creds =
    o.tlsCaFile !== undefined
      ? grpc.credentials.createSsl(readFileSync(o.tlsCaFile))
      : o.tls
        ? grpc.credentials.createSsl()
        : grpc.credentials.createInsecure();
  // a restarted coordinator should be found again within seconds, not grpc's default minutes of backoff
  const client = new PbCoordinatorClient(o.address, creds, {
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 2_000,
  });
  const metadata = (): grpc.Metadata => {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${o.token}`);
    return md;
  };
  const options = (): Partial<grpc.CallOptions> => ({ deadline: Date.now() + (o.callTimeoutMs ?? 15_000) });
  function call<Req, Res>(
    fn: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: Callback<Res>) => unknown,
    req: Req,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      fn.call(client, req, metadata(), options(), (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(fromGrpcError(err)) : resolve(res),
      );
    });
  }
  /* eslint-disable @typescript-eslint/unbound-method -- call() rebinds to the client */
  return {
    register: (req) => call(client.register, req),
    heartbeat: (req) => call(client.heartbeat, req),
    submitSweep: (req) => call(client.submitSweep, req),
    getSweep: (sweepId) => call(client.getSweep, { sweepId }),
    listSweeps: async () => (await call(client.listSweeps, {})).sweeps,
    cancelSweep: (sweepId) => call(client.cancelSweep, { sweepId }),
    listAgents: async () => (await call(client.listAgents, {})).agents,
    /* eslint-enable @typescript-eslint/unbound-method */
    async *watchSweep(sweepId, signal) {
      const stream = client.watchSweep({ sweepId }, metadata());
      const onAbort = (): void => stream.cancel();
      signal?.addEventListener("abort", onAbort);
      try {
        for await (const e of stream as AsyncIterable<SweepEvent>) yield e;
      } catch (err) {
        if (signal?.aborted) return;
        throw fromGrpcError(err);
      } finally {
        signal?.removeEventListener("abort", onAbort);
        stream.cancel(); // the consumer may stop early (break): end the call on the server too
      }
    },
    close: () => client.close(),
  };
}
