// A name is one agent: a second `agent start` under a live agent's name (the default name is the host name,
// so two agents on one box collide) is refused with a message saying so, instead of silently merging the two
// into one host; an agent restarted after a SIGKILL gets its name back once the old process is noticed dead.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuntimeCluster, TOKEN, waitFor } from "./runtime-cluster.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs `agent start` to its exit (or kills it after `timeoutMs`): exit code and output. */
function runAgent(argv: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, {
      cwd: repoRoot,
      detached: true,
      env: { ...process.env, SPECGRID_TOKEN: TOKEN, NODE_ENV: "development" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("two agents under one name", () => {
  let rt: RuntimeCluster;

  beforeAll(async () => {
    rt = await RuntimeCluster.start({ native: true });
  }, 60_000);

  afterAll(async () => {
    await rt?.stop();
  });

  it("refuses the second while the first is alive, and lets a restarted agent back in", async () => {
    const first = await rt.startAgent("twin", ["target"]);
    const registered = (await rt.client.listAgents()).find((a) => a.name === "twin");
    const otherDir = await rt.modelDir("twin-other", ["target", "draft-n0"]);

    const second = await runAgent(rt.agentArgv("twin", otherDir), 60_000);
    expect(second.code).toBe(2);
    expect(second.out).toMatch(/an agent named "twin" is already registered .*alive/);
    expect(second.out).toContain("--name");
    // the first agent is untouched: same process, same inventory (the second's draft never merged in)
    const after = (await rt.client.listAgents()).filter((a) => a.name === "twin");
    expect(after).toHaveLength(1);
    expect(after[0]!.alive).toBe(true);
    expect(after[0]!.instanceId).toBe(registered?.instanceId);
    expect(after[0]!.inventory?.models.map((m) => m.file)).toEqual(["target.gguf"]);
    expect(first.child.exitCode).toBeNull();

    // SIGKILLed and started again at once: it waits out the old process's liveness and takes the name
    await first.kill("SIGKILL");
    const restarted = await rt.startAgent("twin", ["target", "draft-n0"]);
    await waitFor(
      async () =>
        (await rt.client.listAgents()).some(
          (a) => a.name === "twin" && a.alive && a.instanceId !== registered?.instanceId,
        ),
      30_000,
      () => `the restarted agent did not take its name back:\n${restarted.log().slice(-2000)}`,
    );
    const now = (await rt.client.listAgents()).filter((a) => a.name === "twin");
    expect(now).toHaveLength(1);
    expect(now[0]!.inventory?.models.map((m) => m.file).sort()).toEqual(["draft-n0.gguf", "target.gguf"]);
  }, 120_000);
});
