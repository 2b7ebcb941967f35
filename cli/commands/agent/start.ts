import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { llamaBinFlag } from "../../workflows/llama-bin-flag.js";
import os from "node:os";
import path from "node:path";
import { SpecgridError } from "../../../core/errors.js";
import { Flags } from "@oclif/core";
import { ENGINE_NAMES, type EngineName } from "../../../core/cell.js";
import { startAgent, type RunningAgent } from "../../../agents/daemon/agent-daemon.js";
import { agentEngine, llamaBinFor, llamaBinJson, type LlamaBinJson } from "../../workflows/agent-engine.js";
import { describeLlamaBin } from "../../workflows/llama-build.js";
import { clientFlags, clientFromFlags } from "../../workflows/client-flags.js";
import { createLogger } from "../../workflows/create-logger.js";
import { SHUTDOWN_TIMEOUT_MS, serveUntilSignal } from "../../workflows/serve-until-signal.js";

export interface AgentStartResult {
  agent_id: string;
  /** The llama.cpp build the agent ran (llama.cpp engines only). */
  llama?: LlamaBinJson;
}

export default class AgentStart extends SpecgridCommand {
  static override description =
    "Run the agent daemon on this host: probe it, register with the coordinator, pull shards from the pools " +
    "the coordinator names, run them with the engine, publish one result per cell. SIGTERM drains; SIGHUP scans " +
    "the model dirs again (new files are hashed, known ones come from the sha256 cache).";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --coordinator coord:7400 --token-file /etc/specgrid/token --models /srv/models --engine in-process",
    "<%= config.bin %> <%= command.id %> --coordinator coord:7400 --models /a --models /b --label rack=3 --name gpu-box-1",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...clientFlags,
    models: Flags.string({ description: "model directory (repeatable)", multiple: true, default: [] }),
    "llama-bin": llamaBinFlag("for the CLI and server engines"),
    engine: Flags.string({
      description: "engine to run cells with",
      options: [...ENGINE_NAMES],
      default: "in-process",
    }),
    label: Flags.string({
      description: "label k=v for placement selectors (repeatable)",
      multiple: true,
      default: [],
    }),
    name: Flags.string({ description: "agent name (its id on the coordinator)", default: os.hostname() }),
    nats: Flags.string({
      description:
        "NATS URL, with credentials if the server needs them (default: the one the coordinator hands out)",
      env: "NATS_URL",
    }),
    slots: Flags.integer({
      description: "shards run at once (default: one per GPU, 1 on CPU hosts)",
      min: 1,
    }),
    "drain-ms": Flags.integer({
      description: "on SIGTERM, how long running shards may finish before release",
      default: 30000,
    }),
    "shutdown-timeout-ms": Flags.integer({
      description:
        "on SIGTERM/SIGINT, exit after --drain-ms plus this long even if NATS or the coordinator is unreachable",
      default: SHUTDOWN_TIMEOUT_MS,
      min: 100,
    }),
    "rescan-ms": Flags.integer({
      description:
        "scan the model dirs again this often and register again when models were added or removed " +
        "(0: only on SIGHUP and when the coordinator asks)",
      default: 60000,
      min: 0,
    }),
    "hash-cache": Flags.string({
      description: "JSON file caching model sha256 by (path, size, mtime)",
      default: path.join(os.homedir(), ".cache", "specgrid", "model-sha256.json"),
    }),
    "no-gpu-probe": Flags.boolean({ description: "skip nvidia-smi (CPU hosts, tests)" }),
    "max-k": Flags.integer({
      description: "refuse cells drafting more than this many tokens per step",
      min: 1,
    }),
    "max-n-predict": Flags.integer({ description: "refuse cells generating more tokens than this", min: 1 }),
    "max-ctx": Flags.integer({ description: "refuse cells asking for a larger context (tokens)", min: 1 }),
    "max-prompt-bytes": Flags.integer({
      description: "refuse cells with a longer prompt (UTF-8 bytes)",
      min: 1,
    }),
  };

  async run(): Promise<AgentStartResult> {
    const { flags } = await this.parse(AgentStart);
    const labels: Record<string, string> = {};
    for (const l of flags.label) {
      const eq = l.indexOf("=");
      if (eq <= 0) this.error(`--label ${l}: write labels as key=value, e.g. --label rack=3`, { exit: 2 });
      labels[l.slice(0, eq)] = l.slice(eq + 1);
    }
    if (flags.models.length === 0) this.error("no model dirs: pass --models DIR (repeatable)", { exit: 2 });
    const coordinator = clientFromFlags(flags, (m) => this.error(m, { exit: 2 }));
    const logger = createLogger({ name: "agent" });
    const engineName = flags.engine as EngineName;
    const fail = (err: unknown) => this.badInput(err);
    const llamaBin = await llamaBinFor(engineName, flags["llama-bin"]).catch(fail);
    if (llamaBin !== undefined) {
      process.stderr.write(`${describeLlamaBin(llamaBin)}\n`);
      logger.info({ llama: llamaBinJson(llamaBin) }, "llama.cpp build");
    }
    const { engine, companions, llamaBuilds } = await agentEngine(engineName, llamaBin).catch(fail);
    // SIGHUP: pick up model files copied in (or removed) since the last scan, without a restart. Installed
    // before registering (the default action would end the process): a signal that comes before the agent
    // runs is answered by a rescan once it does.
    const hup: { agent?: RunningAgent; early: boolean } = { early: false };
    const onHup = (): void => {
      if (hup.agent === undefined) {
        hup.early = true;
        return;
      }
      hup.agent
        .rescanModels("SIGHUP")
        .catch((err: unknown) =>
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, "model rescan failed"),
        );
    };
    process.on("SIGHUP", onHup);
    const agent = await startAgent({
      coordinator,
      name: flags.name,
      modelDirs: flags.models,
      engineName: flags.engine as EngineName,
      engine,
      companions,
      llamaBuilds,
      labels,
      slots: flags.slots,
      natsUrl: flags.nats,
      logger,
      drainTimeoutMs: flags["drain-ms"],
      skipGpuProbe: flags["no-gpu-probe"],
      rescanMs: flags["rescan-ms"],
      sha256CacheFile: flags["hash-cache"],
      cellLimits: {
        kMax: flags["max-k"],
        nPredictMax: flags["max-n-predict"],
        ctxMax: flags["max-ctx"],
        promptBytesMax: flags["max-prompt-bytes"],
      },
    }).catch((err: unknown) => {
      if (err instanceof SpecgridError && err.code === "AGENT_NAME_TAKEN")
        this.error(err.message, { exit: 2 });
      return this.error(
        `could not register with the coordinator at ${flags.coordinator}: ${err instanceof Error ? err.message : String(err)}. ` +
          "Check the address, that the coordinator runs, and the token.",
        { exit: 1 },
      );
    });
    this.log(`agent ${agent.agentId} registered with ${flags.coordinator}`);
    hup.agent = agent;
    if (hup.early) onHup();
    // running shards get --drain-ms first; the bound covers that plus the rest of the shutdown
    await serveUntilSignal({
      stop: () => {
        process.off("SIGHUP", onHup);
        return agent.stop();
      },
      timeoutMs: flags["drain-ms"] + flags["shutdown-timeout-ms"],
      what: "agent",
      warn: (m) => this.logToStderr(m),
    });
    coordinator.close();
    return { agent_id: agent.agentId, ...(llamaBin ? { llama: llamaBinJson(llamaBin) } : {}) };
  }
}
