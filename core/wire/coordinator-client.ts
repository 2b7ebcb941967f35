// A promise-shaped Coordinator client that attaches the bearer token to every call and turns gRPC errors
// into SpecgridErrors. Used by the agent daemon and the CLI; creating it reads the TLS files (a ConfigError
// names a bad one) and opens no connection until the first call.
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
import { ConfigError, SpecgridError } from "../errors.js";
import { fromGrpcError } from "./grpc-status.js";
import { readPemFile } from "./read-pem-file.js";

export interface CoordinatorClientOptions {
  /** host:port */
  address: string;
  token: string;
  /** CA file to verify the coordinator's TLS certificate; plain text when neither this nor `tls` is set. */
  tlsCaFile?: string;
  /** Use TLS with the system roots. */
  tls?: boolean;
  /**
   * Client certificate (PEM) presented to a coordinator that requires one (mutual TLS). Needs `tlsKeyFile`;
   * implies TLS (with the system roots when `tlsCaFile` is not set).
   */
  tlsCertFile?: string;
  /** Private key (PEM) of `tlsCertFile`. */
  tlsKeyFile?: string;
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

function usesTls(o: CoordinatorClientOptions): boolean {
  return o.tls === true || o.tlsCaFile !== undefined || o.tlsCertFile !== undefined;
}

function channelCredentials(o: CoordinatorClientOptions): grpc.ChannelCredentials {
  if ((o.tlsCertFile === undefined) !== (o.tlsKeyFile === undefined)) {
    throw new ConfigError(
      "a client certificate needs its private key and the key its certificate: pass --tls-cert and --tls-key together",
    );
  }
  if (!usesTls(o)) return grpc.credentials.createInsecure();
  const ca = o.tlsCaFile === undefined ? null : readPemFile(o.tlsCaFile, "--tls-ca (coordinator CA)");
  const key = o.tlsKeyFile === undefined ? null : readPemFile(o.tlsKeyFile, "--tls-key (client key)");
  const cert =
    o.tlsCertFile === undefined ? null : readPemFile(o.tlsCertFile, "--tls-cert (client certificate)");
  try {
    return grpc.credentials.createSsl(ca, key, cert);
  } catch (err) {
    throw new ConfigError(
      `TLS files rejected: ${err instanceof Error ? err.message : String(err)}. ` +
        "Check that --tls-key is the private key of --tls-cert and both are PEM.",
    );
  }
}

// grpc-js reports an unreachable server as "No connection established. Last error: Error: connect
// ECONNREFUSED 127.0.0.1:1. Resolution note: " (ending in nothing), another protocol on the port as a bare
// "Protocol error": say which address and what to check instead.
const TRANSPORT = /^(No connection established|Name resolution failed|Failed to connect|Connection dropped)/;

function transportSentence(message: string, address: string): string | undefined {
  if (!TRANSPORT.test(message)) return undefined;
  const last = /Last error: (?:Error: )?(.*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?\.? Resolution note: ?(.*)$/.exec(
    message,
  );
  const cause = (last?.[1] ?? message).trim();
  const note = last?.[2]?.trim();
  const fix =
    "--coordinator (or SPECGRID_COORDINATOR) must name the host:port of `specgrid coordinator start`";
  let sentence: string;
  if (/ECONNREFUSED/.test(cause))
    sentence = `nothing listens at ${address} (connection refused): start the coordinator there, or fix the address; ${fix}`;
  else if (/Protocol error/.test(cause))
    sentence =
      `${address} answered, but not as a gRPC coordinator (protocol error): the port belongs to another ` +
      "service (NATS listens on 4222, the coordinator on 7400 by default), or the coordinator uses TLS and " +
      `this client does not (pass --tls-ca); ${fix}`;
  else if (/^Name resolution failed/.test(message) || /ENOTFOUND|EAI_AGAIN/.test(cause))
    sentence = `cannot resolve the host of ${address}: check the host name; ${fix}`;
  else if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(cause))
    sentence = `cannot reach ${address} (${cause}): check the host, the port and any firewall between`;
  else sentence = `cannot reach the coordinator at ${address} (${cause}); ${fix}`;
  return note ? `${sentence} (${note})` : sentence;
}

function withTransportHint(err: SpecgridError, address: string): SpecgridError {
  if (err.code !== "UNAVAILABLE") return err;
  const sentence = transportSentence(err.message, address);
  if (sentence === undefined) return err;
  return new SpecgridError(err.code, sentence, {
    retryable: err.retryable,
    details: { ...err.details, address, grpcMessage: err.message },
    cause: err.cause,
  });
}

// A failed TLS handshake reaches the caller as a bare UNAVAILABLE; say which files to check.
function withTlsHint(err: SpecgridError, o: CoordinatorClientOptions): SpecgridError {
  if (err.code !== "UNAVAILABLE" || !usesTls(o)) return err;
  const hint =
    o.tlsCertFile === undefined
      ? "over TLS: if the coordinator runs, check that --tls-ca signed its certificate, and if it requires " +
        "client certificates (mutual TLS), pass --tls-cert and --tls-key"
      : "over TLS: if the coordinator runs, check that --tls-ca signed its certificate and that its " +
        "--tls-client-ca signed --tls-cert";
  return new SpecgridError(err.code, `${err.message} (${hint})`, {
    retryable: err.retryable,
    details: err.details,
    cause: err.cause,
  });
}

export function createCoordinatorClient(o: CoordinatorClientOptions): CoordinatorClient {
  const creds = channelCredentials(o);
  // a restarted coordinator should be found again within seconds, not grpc's default minutes of backoff
  const client = new PbCoordinatorClient(o.address, creds, {
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 2_000,
    // GetSweep of a large sweep carries every shard; the coordinator sends up to 256 MiB
    "grpc.max_receive_message_length": 256 * 1024 * 1024,
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
        err ? reject(withTlsHint(withTransportHint(fromGrpcError(err), o.address), o)) : resolve(res),
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
        throw withTlsHint(withTransportHint(fromGrpcError(err), o.address), o);
      } finally {
        signal?.removeEventListener("abort", onAbort);
        stream.cancel(); // the consumer may stop early (break): end the call on the server too
      }
    },
    close: () => client.close(),
  };
}
