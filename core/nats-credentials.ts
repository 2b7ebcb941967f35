// NATS credentials travel as connect options, never inside a URL that is logged, stored or printed.
// nats.js 3 ignores `user:pass@` and `token@` in a server URL (the server then answers "Authorization
// Violation"), so a URL written the way people write it (`NATS_URL=nats://agent:secret@host:4222`) is split
// here into bare server URLs plus credentials; `redactNatsUrl` is what goes into logs and --json output.
import { ConfigError } from "./errors.js";

export interface NatsLogin {
  /** Server URLs without credentials: safe to log. A comma-separated list names a cluster's nodes. */
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
}

function parseOne(raw: string): { server: string; user?: string; pass?: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `nats://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`"${redactNatsUrl(raw)}" is not a NATS URL; write nats://host:4222`);
  }
  const user = url.username === "" ? undefined : decodeURIComponent(url.username);
  const pass = url.password === "" ? undefined : decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  return { server: url.toString().replace(/\/$/, ""), user, pass };
}

/**
 * Split `nats://user:pass@host:4222` (or `nats://token@host`, or a comma-separated list of such URLs) into
 * bare server URLs and credentials. Explicit credentials (from config or environment) win over ones in the
 * URL. Throws ConfigError when the URLs disagree on credentials.
 */
export function natsLogin(urls: string, explicit: Omit<NatsLogin, "servers"> = {}): NatsLogin {
  const parts = urls
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "")
    .map(parseOne);
  if (parts.length === 0) throw new ConfigError("no NATS URL given; write nats://host:4222");
  const logins = new Set(parts.map((p) => `${p.user ?? ""}\u0000${p.pass ?? ""}`));
  if (logins.size > 1)
    throw new ConfigError("the NATS URLs carry different credentials; give one login for every server");
  const first = parts[0];
  const login: NatsLogin = { servers: parts.map((p) => p.server) };
  if (explicit.token !== undefined) login.token = explicit.token;
  else if (explicit.user !== undefined) {
    login.user = explicit.user;
    if (explicit.pass !== undefined) login.pass = explicit.pass;
  } else if (first?.user !== undefined && first.pass === undefined) login.token = first.user;
  else if (first?.user !== undefined) {
    login.user = first.user;
    if (first.pass !== undefined) login.pass = first.pass;
  }
  return login;
}

/** The URL(s) with any user, password or token replaced by `***`, for logs, errors and --json output. */
export function redactNatsUrl(urls: string): string {
  return urls.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^@/\s,]*@/gi, "$1***@");
}
