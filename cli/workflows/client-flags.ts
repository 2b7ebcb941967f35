// Flags every client command shares, and the client built from them (flags win over the environment).
import { readFileSync } from "node:fs";
import { Flags } from "@oclif/core";
import { SpecgridError } from "../../core/errors.js";
import {
  createCoordinatorClient,
  type CoordinatorClient,
  type CoordinatorClientOptions,
} from "../../core/wire/coordinator-client.js";

/** `--token-file FILE`: the token from a file (mode 0600), so it shows neither in `ps` nor in shell history. */
export function tokenFileFlag() {
  return Flags.string({
    description: "file holding the bearer token (one line); the safe way to pass it",
    env: "SPECGRID_TOKEN_FILE",
    exclusive: ["token"],
  });
}

/** The token from --token-file (trimmed) or --token; undefined when neither was given. */
export function resolveToken(
  flags: { token?: string; "token-file"?: string },
  fail: (message: string) => never,
): string | undefined {
  const file = flags["token-file"];
  if (file === undefined) return flags.token;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    fail(`--token-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const token = text.trim();
  if (token === "") fail(`--token-file ${file} is empty: write the token on its first line`);
  return token;
}

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
  token: Flags.string({
    description:
      "bearer token of the coordinator (prefer SPECGRID_TOKEN or --token-file: ps shows arguments)",
    env: "SPECGRID_TOKEN",
  }),
  "token-file": tokenFileFlag(),
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
  flags: { coordinator: string; token?: string; "token-file"?: string } & ClientTlsFlagValues,
  fail: (message: string) => never,
): CoordinatorClient {
  const token = resolveToken(flags, fail);
  if (!token)
    fail(
      "no token: set SPECGRID_TOKEN, or pass --token-file FILE (the token the coordinator was started with)",
    );
  return clientWithTls(flags.coordinator, token, flags, fail);
}
