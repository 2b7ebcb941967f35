// Agents pick up model files copied in after they started, without a restart: `agent start` processes (real
// children) rescan on SIGHUP, every --rescan-ms, and when the coordinator asks because a submit named a
// model none held. Known files come from the sha256 cache (only the new file is hashed), and the coordinator
// sees the new inventory through the agent registering again.
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecgridError } from "../../core/errors.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { getModelFamily } from "../support/model-family.js";
import { RuntimeCluster, waitFor, type AgentProcess } from "./runtime-cluster.js";

let cluster: RuntimeCluster;

interface LogLine {
  msg?: string;
  reason?: string;
  added?: string[];
  hashed?: number;
  registered?: boolean;
}

function logLines(agent: AgentProcess): LogLine[] {
  return agent
    .log()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

async function heldFiles(name: string): Promise<string[]> {
  const agent = (await cluster.client.listAgents()).find((a) => a.name === name);
  return (agent?.inventory?.models ?? []).map((m) => m.file).sort();
}

async function copyIn(agentName: string, model: string): Promise<void> {
  const family = await getModelFamily();
  await copyFile(
    path.join(family.dir, `${model}.gguf`),
    path.join(cluster.dir, `models-${agentName}`, `${model}.gguf`),
  );
}

beforeAll(async () => {
  cluster = await RuntimeCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe("agents rescan their model dirs", () => {
  it("on SIGHUP: a model copied in is registered, and only it is hashed", async () => {
    const alpha = await cluster.startAgent(
      "alpha",
      ["target"],
      ["--rescan-ms", "0", "--hash-cache", path.join(cluster.dir, "alpha-sha256.json")],
    );
    expect(await heldFiles("alpha")).toEqual(["target.gguf"]);
    await copyIn("alpha", "draft-n0");
    alpha.child.kill("SIGHUP");
    await waitFor(
      async () => (await heldFiles("alpha")).includes("draft-n0.gguf"),
      30_000,
      () => `alpha never registered draft-n0.gguf:\n${alpha.log().slice(-2000)}`,
    );
    expect(await heldFiles("alpha")).toEqual(["draft-n0.gguf", "target.gguf"]);
    const rescans = logLines(alpha).filter((l) => l.msg === "models rescanned");
    expect(rescans).toHaveLength(1);
    expect(rescans[0]).toMatchObject({
      reason: "SIGHUP",
      added: ["draft-n0.gguf"],
      hashed: 1,
      registered: true,
    });
    // the agent is still alive and serving (SIGHUP did not end it)
    expect(alpha.child.exitCode).toBeNull();
  });

  it("when a submit names a model no agent holds: the coordinator asks, the agent rescans, the sweep runs", async () => {
    const alpha = cluster.agents.find((a) => a.name === "alpha")!;
    await copyIn("alpha", "draft-n0.02");
    expect(await heldFiles("alpha")).not.toContain("draft-n0.02.gguf");
    const file = await cluster.writeManifest("late-model", {
      pairs: [{ target: "target", draft: "draft-n0.02" }],
      baseline: false,
    });
    const sub = await cluster.client.submitSweep(await manifestForSubmit(file));
    expect(sub.cells).toBe(1);
    const status = await cluster.waitForSweep(sub.sweepId);
    expect(status.state).toBe("done");
    expect(status.valid).toBe(1);
    const asked = logLines(alpha).filter((l) => l.msg === "models rescanned" && l.reason === "coordinator");
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ added: ["draft-n0.02.gguf"], hashed: 1 });
  });

  it("a model that is nowhere is still refused, once the agents answered that they found nothing new", async () => {
    const file = await cluster.writeManifest("nowhere", {
      models: { target: { file: "target.gguf" }, ghost: { file: "ghost.gguf" } },
      pairs: [{ target: "target", draft: "ghost" }],
    });
    const started = Date.now();
    const err = await cluster.client.submitSweep(await manifestForSubmit(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecgridError);
    expect((err as SpecgridError).code).toBe("MODEL_NOT_FOUND");
    expect((err as SpecgridError).message).toMatch(/ghost\.gguf.*found nothing new/);
    // answered by alpha's registration, not by the wait's end (2 heartbeats + 5 s)
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("every --rescan-ms, with no signal", async () => {
    const beta = await cluster.startAgent(
      "beta",
      ["target"],
      ["--rescan-ms", "300", "--hash-cache", path.join(cluster.dir, "beta-sha256.json")],
    );
    await copyIn("beta", "draft-n0");
    await waitFor(
      async () => (await heldFiles("beta")).includes("draft-n0.gguf"),
      30_000,
      () => `beta never registered draft-n0.gguf:\n${beta.log().slice(-2000)}`,
    );
    const rescans = logLines(beta).filter((l) => l.msg === "models rescanned");
    expect(rescans[0]).toMatchObject({
      reason: "refresh",
      added: ["draft-n0.gguf"],
      hashed: 1,
      registered: true,
    });
  });
});
