// Flags every client command shares, and the client built from them (flags win over the environment).
import { Flags } from "@oclif/core";
import { SpecgridError } from "../../core/errors.js";
import {
  createCoordinatorClient,
  type CoordinatorClient,
  type CoordinatorClientOptions,
} from "../../core/wire/coordinator-client.js";

/** TLS toward the coordinator; also spread by commands whose token is optional (results pull, reproduce). */
export const clientTlsFlags = {
  "tls-ca": Flags.string({
    description: "CA file to verify the coordinator's TLS certificate (enables TLS)",
    env: "SPECGRID_TLS_CA",
  }),
  "tls-cert": Flags.string({
    description:
      "client certificate (PEM) to present when the coordinator requires one (mutual TLS); needs --tls-key",
    env: "SPECGRID_TLS_CERT",
  }),
  "tls-key": Flags.string({
    description: "private key (PEM) of --tls-cert",
    env: "SPECGRID_TLS_KEY",
  }),
};

export const clientFlags = {
  coordinator: Flags.string({
    description: "coordinator address HOST:PORT",
    env: "SPECGRID_COORDINATOR",
    default: "127.0.0.1:7400",
  }),
  token: Flags.string({ description: "bearer token of the coordinator", env: "SPECGRID_TOKEN" }),
  ...clientTlsFlags,
};

export interface ClientTlsFlagValues {
  "tls-ca"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
}

/** Builds a client from an address, a token and the TLS flags; bad TLS flags or files end in `fail`. */
export function clientWithTls(
  address: string,
  token: string,
  flags: ClientTlsFlagValues,
  fail: (message: string) => never,
): CoordinatorClient {
  const options: CoordinatorClientOptions = {
    address,
    token,
    tlsCaFile: flags["tls-ca"],
    tlsCertFile: flags["tls-cert"],
    tlsKeyFile: flags["tls-key"],
  };
  try {
    return createCoordinatorClient(options);
  } catch (err) {
    if (err instanceof SpecgridError) fail(err.message);
    throw err;
  }
}

export function clientFromFlags(
  flags: { coordinator: string; token?: string } & ClientTlsFlagValues,
  fail: (message: string) => never,
): CoordinatorClient {
  if (!flags.token)
    fail("no token: pass --token T or set SPECGRID_TOKEN (the token the coordinator was started with)");
  return clientWithTls(flags.coordinator, flags.token, flags, fail);
}
