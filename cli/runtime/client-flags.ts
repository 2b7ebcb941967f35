// Flags every client command shares, and the client built from them (flags win over the environment).
import { Flags } from "@oclif/core";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";

export const clientFlags = {
  coordinator: Flags.string({
    description: "coordinator address HOST:PORT",
    env: "SPECGRID_COORDINATOR",
    default: "127.0.0.1:7400",
  }),
  token: Flags.string({ description: "bearer token of the coordinator", env: "SPECGRID_TOKEN" }),
  "tls-ca": Flags.string({
    description: "CA file to verify the coordinator's TLS certificate (enables TLS)",
  }),
};

export function clientFromFlags(
  flags: { coordinator: string; token?: string; "tls-ca"?: string },
  fail: (message: string) => never,
): CoordinatorClient {
  if (!flags.token)
    fail("no token: pass --token T or set SPECGRID_TOKEN (the token the coordinator was started with)");
  return createCoordinatorClient({
    address: flags.coordinator,
    token: flags.token,
    tlsCaFile: flags["tls-ca"],
  });
}
