// Every daemon exits within a bounded time on SIGTERM, whatever is down: a coordinator whose nats-server
// died (it ignored SIGTERM for over 90 s) and an agent whose coordinator and NATS are gone (over a minute).
// Bounds: --shutdown-timeout-ms (default 10 s), after --drain-ms for an agent (5 s here).
import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeCluster } from "./runtime-cluster.js";

/** SIGTERMs the process group and resolves with the ms until the process exited (or `limitMs` + 1). */
async function sigtermMs(child: ChildProcess, limitMs: number): Promise<number> {
  const started = Date.now();
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once("exit", () => r());
  });
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch (err) {
    // ESRCH: the whole group had already exited (an orphaned agent may give up on its own): within bound
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    console.log("shutdown: the process had exited before SIGTERM");
    return 0;
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, limitMs + 1))]);
  return child.exitCode === null && child.signalCode === null ? limitMs + 1 : Date.now() - started;
}

describe("shutdown with a dependency gone", () => {
  let rt: RuntimeCluster | undefined;

  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it("a coordinator whose nats-server died exits on SIGTERM within its 10 s bound", async () => {
    rt = await RuntimeCluster.start({ native: true, coordinatorProcess: true });
    await rt.nats.stop();
    await new Promise((r) => setTimeout(r, 1_000)); // it notices the server is gone and starts reconnecting
    const ms = await sigtermMs(rt.coordinatorProcess!, 14_000);
    console.log(`shutdown: coordinator without NATS exited ${ms} ms after SIGTERM`);
    expect(ms).toBeLessThanOrEqual(14_000);
  }, 90_000);

  it("an agent whose coordinator and NATS are gone exits on SIGTERM within drain + 10 s", async () => {
    rt = await RuntimeCluster.start({ native: true, coordinatorProcess: true });
    const agent = await rt.startAgent("orphan", ["target"]);
    await rt.killCoordinator();
    await rt.nats.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    const ms = await sigtermMs(agent.child, 19_000);
    console.log(`shutdown: agent without coordinator and NATS exited ${ms} ms after SIGTERM`);
    expect(ms).toBeLessThanOrEqual(19_000);
  }, 120_000);
});
