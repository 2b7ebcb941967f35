import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { natsLogin, redactNatsUrl } from "../../core/nats-credentials.js";

describe("natsLogin", () => {
  it.each([
    ["nats://127.0.0.1:4222", { servers: ["nats://127.0.0.1:4222"] }],
    ["127.0.0.1:4222", { servers: ["nats://127.0.0.1:4222"] }],
    [
      "nats://specgrid-agent:s%40cret@nats-1:4222",
      { servers: ["nats://nats-1:4222"], user: "specgrid-agent", pass: "s@cret" },
    ],
    ["nats://tok123@nats-1:4222", { servers: ["nats://nats-1:4222"], token: "tok123" }],
    [
      "nats://a:b@nats-1:4222, nats://a:b@nats-2:4222,nats://a:b@nats-3:4222",
      { servers: ["nats://nats-1:4222", "nats://nats-2:4222", "nats://nats-3:4222"], user: "a", pass: "b" },
    ],
    ["tls://a:b@nats-1:4222", { servers: ["tls://nats-1:4222"], user: "a", pass: "b" }],
  ])("splits %s into servers and credentials", (url, expected) => {
    expect(natsLogin(url)).toEqual(expected);
  });

  it("lets explicit credentials win over the URL's", () => {
    expect(natsLogin("nats://a:b@h:4222", { user: "c", pass: "d" })).toEqual({
      servers: ["nats://h:4222"],
      user: "c",
      pass: "d",
    });
    expect(natsLogin("nats://h:4222", { token: "t" })).toEqual({ servers: ["nats://h:4222"], token: "t" });
  });

  it.each([
    ["", /no NATS URL/],
    ["nats://a:b@h1:4222,nats://a:c@h2:4222", /different credentials/],
    ["nats://a:secret@[bad", /not a NATS URL/],
  ])("refuses %j with a ConfigError that holds no password", (url, message) => {
    let thrown: unknown;
    try {
      natsLogin(url);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toMatch(/secret/);
  });
});

describe("redactNatsUrl", () => {
  it.each([
    ["nats://specgrid-agent:pw@h:4222", "nats://***@h:4222"],
    ["nats://tok@h:4222,nats://tok@h2:4222", "nats://***@h:4222,nats://***@h2:4222"],
    ["nats://h:4222", "nats://h:4222"],
    ["connecting to tls://u:p@h:4222 failed", "connecting to tls://***@h:4222 failed"],
  ])("%s -> %s", (url, redacted) => {
    expect(redactNatsUrl(url)).toBe(redacted);
  });
});
