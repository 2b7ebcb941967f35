// A throwaway PKI for TLS tests, made with the openssl CLI (Node 20 cannot sign certificates): a CA, a
// server certificate for localhost/127.0.0.1 and a client certificate signed by it, plus a client
// certificate from a second, untrusted CA.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

// P-256 keys: generated in milliseconds, where RSA keys cost the shared CI machine real time
const NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  openssl(["req", "-x509", ...NEW_KEY, "-days", "1", "-subj", `/CN=${name}`, "-keyout", key, "-out", cert]);
  return { cert, key };
}

function issue(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  extensions: string[],
): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, ["basicConstraints=CA:FALSE", ...extensions].join("\n") + "\n");
  openssl(["req", ...NEW_KEY, "-subj", `/CN=${name}`, "-keyout", key, "-out", csr]);
  openssl(
    ["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial"].concat([
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      cert,
    ]),
  );
  return { cert, key };
}

/** Writes the PKI into `dir` (which the caller creates and removes). */
export function makeTestPki(dir: string): TestPki {
  const ca = makeCa(dir, "test-ca");
  const stranger = makeCa(dir, "stranger-ca");
  const server = issue(dir, "localhost", ca, [
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "extendedKeyUsage=serverAuth",
  ]);
  const client = issue(dir, "agent-1", ca, ["extendedKeyUsage=clientAuth"]);
  const strangerClient = issue(dir, "intruder", stranger, ["extendedKeyUsage=clientAuth"]);
  return {
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    strangerCert: strangerClient.cert,
    strangerKey: strangerClient.key,
  };
}
