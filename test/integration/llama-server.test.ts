// The llama-server engine against a replayed llama-server (a real process serving captured JSON on
// loopback): the shared conformance suite, figures equal to the captured timings, the silent fallback to
// no speculation (cell invalid, reason stored), a server that dies while loading, and close() leaving no
// process behind.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cell, CellKind, CellParams, LlamaSettings, ShardKey } from "../../core/cell.js";
import { RunFailedError } from "../../core/errors.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import type { Engine } from "../../agents/engines/engine.js";
import { probeLlamaBuild, type LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import { processGroupAlive } from "../../agents/process/start-process.js";
import { describeEngineConformance } from "../support/engine-conformance.js";
import {
  currentBuild,
  installReplayLlama,
  oldBuild,
  REPLAY_FIXTURES,
  setReplayScenario,
  type ReplayInstall,
} from "../support/replay-llama.js";
import type { ReplayServerScenario } from "../support/replay-llama-server.js";
import { engineTestCell } from "../support/engine-test-cell.js";

const llama: LlamaSettings = { gpuLayers: 0, ctx: 2048, flashAttn: "auto", threads: 2 };
const key: ShardKey = {
  engine: "llama-server",
  target: { name: "target" },
  draft: { name: "draft" },
  llama,
};
const models = { targetPath: "/models/target.gguf", draftPath: "/models/draft-n20.gguf" };

function cell(kind: CellKind, overrides: Partial<CellParams> = {}): Cell {
  return engineTestCell("llama-server", kind, { llama, nPredict: 64 }, overrides);
}

let root: string;
let install: ReplayInstall;
let build: LlamaBuildProbe;

async function serverScenario(server: ReplayServerScenario): Promise<void> {
  await setReplayScenario(install, {
    tools: { "llama-server": { ...currentBuild("llama-server"), server } },
  });
}

const makeEngine = (): Promise<Engine> =>
  createEngine("llama-server", { llama: { build, loadTimeoutMs: 30_000, cellTimeoutMs: 30_000 } });

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "specgrid-llama-server-"));
  install = await installReplayLlama(root, { tools: { "llama-server": currentBuild("llama-server") } });
  build = await probeLlamaBuild(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeEngineConformance("llama-server (replayed)", makeEngine, () =>
  Promise.resolve({
    key,
    models,
    cell,
    longCell: () => cell("baseline", { nPredict: 4096 }),
    parallel: true,
  }),
);

describe("llama-server engine on a replayed server", () => {
  it("reads draft counts from the response timings and keeps the server command", async () => {
    await serverScenario({});
    const engine = await makeEngine();
    const session = await engine.openSession({ key, models, cells: [cell("speculative")] });
    try {
      const outcome = await session.runCell(cell("speculative"));
      expect(outcome.status, outcome.message).toBe("ok");
      const captured = JSON.parse(
        readFileSync(path.join(REPLAY_FIXTURES, "server/spec-np1-cmpl-t0.json"), "utf8"),
      ) as {
        timings: { draft_n: number; draft_n_accepted: number };
      };
      expect(outcome.metrics!.nDrafted).toBe(captured.timings.draft_n);
      expect(outcome.metrics!.nAccept).toBe(captured.timings.draft_n_accepted);
      expect(outcome.metrics!.loadMs).toBeGreaterThan(0);
      expect(outcome.command).toEqual(
        expect.arrayContaining(["--spec-type", "draft-simple", "--spec-draft-n-max", "4"]),
      );
      const requests = (await install.invocations()).filter((i) => i.kind === "run");
      expect(requests).toHaveLength(1);
    } finally {
      await session.close();
    }
  });

  it("a server that silently runs without speculation makes speculative cells invalid, with the reason", async () => {
    await serverScenario({ speculationOff: true });
    const engine = await makeEngine();
    const session = await engine.openSession({ key, models, cells: [cell("speculative")] });
    try {
      const outcome = await session.runCell(cell("speculative"));
      expect(outcome.status).toBe("invalid");
      expect(outcome.invalidReason).toBe("speculation-not-engaged");
      expect(outcome.message).toMatch(/speculative=false/);
      const baseline = await session.runCell(cell("baseline"));
      expect(baseline.status, baseline.message).toBe("ok");
    } finally {
      await session.close();
    }
  });

  it("an old build's server gets the old spellings and still speculates", async () => {
    const dir = await mkdtemp(path.join(root, "old-"));
    const old = await installReplayLlama(dir, { tools: { "llama-server": { ...oldBuild(), server: {} } } });
    const oldProbe = await probeLlamaBuild(dir);
    const engine = await createEngine("llama-server", { llama: { build: oldProbe, loadTimeoutMs: 30_000 } });
    const session = await engine.openSession({ key, models, cells: [cell("speculative")] });
    try {
      const outcome = await session.runCell(cell("speculative"));
      expect(outcome.status, outcome.message).toBe("ok");
      const argv = (await old.invocations()).find((i) => i.kind === "run")!.argv;
      expect(argv).toEqual(expect.arrayContaining(["-md", "--draft-max", "4", "--draft-p-min"]));
      expect(argv).not.toContain("--spec-type");
    } finally {
      await session.close();
    }
  });

  it("a request past the cell limit fails the cell as timeout and its server is stopped", async () => {
    // timeScale 1: the replay answers after the captured ~10 s, far past the 1.5 s cell limit.
    await serverScenario({ timeScale: 1 });
    const engine = await createEngine("llama-server", {
      llama: { build, loadTimeoutMs: 30_000, cellTimeoutMs: 1500 },
    });
    const session = await engine.openSession({ key, models, cells: [cell("speculative")] });
    try {
      const outcome = await session.runCell(cell("speculative"));
      expect(outcome.status).toBe("failed");
      expect(outcome.invalidReason).toBe("timeout");
      const pid = (await install.invocations()).find((i) => i.kind === "run")!.pid;
      expect(processGroupAlive(pid)).toBe(false);
    } finally {
      await session.close();
    }
  });

  it("a server that dies while loading fails the session open with its stderr", async () => {
    await serverScenario({ exitDuringLoad: 1 });
    const engine = await makeEngine();
    const err = await engine
      .openSession({ key, models, cells: [cell("speculative")] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect((err as RunFailedError).message).toMatch(/exited while loading/);
    expect(String((err as RunFailedError).details.stderrTail)).toMatch(/failed to load model/);
  });

  it("close() stops every server it started, as process groups", async () => {
    await serverScenario({});
    const engine = await makeEngine();
    const session = await engine.openSession({ key, models, cells: [cell("speculative")] });
    await session.runCell(cell("baseline"));
    const pids = (await install.invocations()).filter((i) => i.kind === "run").map((i) => i.pid);
    expect(pids).toHaveLength(2);
    await session.close();
    for (const pid of pids) expect(processGroupAlive(pid)).toBe(false);
  });
});
