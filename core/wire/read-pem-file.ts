// TLS material is read once, when a client or server is built; a missing or unreadable file must name the
// flag that pointed at it, not surface later as a bare ENOENT or an opaque handshake failure.
import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.js";

/** Reads a PEM file; `what` names it for the user, e.g. "--tls-cert (client certificate)". */
export function readPemFile(file: string, what: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(
      `cannot read ${what} ${file}: ${reason}. Check the path and the file's permissions.`,
      {
        file,
      },
    );
  }
  if (!pem.includes("-----BEGIN ")) {
    throw new ConfigError(`${what} ${file} is not PEM (no "-----BEGIN" line): give the PEM-encoded file.`, {
      file,
    });
  }
  return pem;
}
