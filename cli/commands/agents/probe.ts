import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { llamaBinFlag } from "../../workflows/llama-bin-flag.js";
import os from "node:os";
import path from "node:path";
import { Flags } from "@oclif/core";
import { readGgufFacts, type GgufFacts } from "../../../core/gguf/read-gguf-facts.js";
import { probeGpus } from "../../../agents/probe/probe-gpus.js";
import { probeLlamaBuild } from "../../../agents/probe/probe-llama-build.js";
import { scanModels } from "../../../agents/probe/scan-models.js";
import type { ToolCapabilities } from "../../../agents/probe/tool-capabilities.js";
import { chooseLlamaBin, describeLlamaBin, type LlamaBinSource } from "../../workflows/llama-build.js";

export interface AgentsProbeResult {
  gpus: {
    index: number;
    name: string;
    uuid: string;
    memory_total_mib?: number;
    memory_used_mib?: number;
    driver_version?: string;
    compute_capability?: string;
    power_limit_w?: number;
  }[];
  cuda_version?: string;
  /** Why the GPU list is empty, when it is. */
  gpu_note?: string;
  llama: {
    bin_dir: string | null;
    /** Where bin_dir came from: --llama-bin (flag), SPECGRID_LLAMA_BIN (env) or `specgrid llama build` (cache). */
    source?: LlamaBinSource;
    /** Bundle commit of a cached build. */
    build_commit?: string;
    variant?: string;
    version?: string;
    build_number?: number;
    commit?: string;
    tools: Record<
      string,
      { path: string; version?: string; capabilities: ToolCapabilities; problem?: string }
    >;
    missing: string[];
    notes: string[];
  };
  models: {
    path: string;
    file: string;
    size_bytes: number;
    sha256: string;
    architecture?: string;
    parameter_count?: number;
    quantization?: string;
    vocab_size?: number;
    facts_error?: string;
  }[];
  model_problems: string[];
}

export default class AgentsProbe extends SpecgridCommand {
  static override description =
    "Probe this host the way the agent does: GPUs (nvidia-smi), the llama.cpp build (tools, version, the flag " +
    "spellings each tool accepts) and the model inventory (sha256 and GGUF facts). A host with no GPU or no " +
    "llama.cpp build is reported as such, not as an error.";

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --models /srv/models --llama-bin /opt/llama.cpp/build/bin --json",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    models: Flags.string({
      description: "model directory to scan for .gguf files (repeatable)",
      multiple: true,
      default: [],
    }),
    "llama-bin": llamaBinFlag("to probe"),
    "hash-cache": Flags.string({
      description: "JSON file caching model sha256 by (path, size, mtime)",
      default: path.join(os.homedir(), ".cache", "specgrid", "model-sha256.json"),
    }),
    "nvidia-smi": Flags.string({ description: "nvidia-smi program to run", default: "nvidia-smi" }),
  };

  async run(): Promise<AgentsProbeResult> {
    const { flags } = await this.parse(AgentsProbe);
    const choice = await chooseLlamaBin(flags["llama-bin"]);
    if (!this.jsonEnabled()) process.stderr.write(`${describeLlamaBin(choice)}\n`);
    const [gpu, build, scan] = await Promise.all([
      probeGpus({ nvidiaSmi: flags["nvidia-smi"] }),
      probeLlamaBuild(choice?.binDir),
      scanModels(flags.models, { cacheFile: flags["hash-cache"], readFacts: readGgufFacts }),
    ]);
    const tools: AgentsProbeResult["llama"]["tools"] = {};
    for (const t of Object.values(build.tools)) {
      tools[t.tool] = {
        path: t.path,
        ...(t.version ? { version: t.version.version } : {}),
        capabilities: t.capabilities,
        ...(t.problem ? { problem: t.problem } : {}),
      };
    }
    const result: AgentsProbeResult = {
      gpus: gpu.gpus.map((g) => ({
        index: g.index,
        name: g.name,
        uuid: g.uuid,
        memory_total_mib: g.memoryTotalMib,
        memory_used_mib: g.memoryUsedMib,
        driver_version: g.driverVersion,
        compute_capability: g.computeCapability,
        power_limit_w: g.powerLimitW,
      })),
      cuda_version: gpu.cudaVersion,
      gpu_note: gpu.reason,
      llama: {
        bin_dir: build.binDir,
        ...(choice ? { source: choice.source } : {}),
        ...(choice?.stamp ? { build_commit: choice.stamp.commit, variant: choice.stamp.variant } : {}),
        version: build.version?.version,
        build_number: build.version?.buildNumber,
        commit: build.version?.commit,
        tools,
        missing: build.missing,
        notes: build.notes,
      },
      models: scan.models.map((m) => {
        const facts = m.facts as GgufFacts | undefined;
        return {
          path: m.path,
          file: m.file,
          size_bytes: m.sizeBytes,
          sha256: m.sha256,
          architecture: facts?.architecture,
          parameter_count: facts?.parameterCount,
          quantization: facts?.quantization,
          vocab_size: facts?.vocab.size,
          facts_error: m.factsError,
        };
      }),
      model_problems: scan.problems,
    };
    this.render(result);
    return result;
  }

  private render(r: AgentsProbeResult): void {
    if (r.gpus.length === 0) this.log(`GPUs: none (${r.gpu_note ?? "nvidia-smi listed none"})`);
    else {
      this.log(`GPUs (CUDA ${r.cuda_version ?? "unknown"}):`);
      for (const g of r.gpus) {
        this.log(
          `  ${g.index}: ${g.name}, ${g.memory_total_mib ?? "?"} MiB, driver ${g.driver_version ?? "?"}, cc ${g.compute_capability ?? "?"}`,
        );
      }
    }
    const tools = Object.keys(r.llama.tools);
    if (tools.length === 0) this.log(`llama.cpp: none (${r.llama.notes.join("; ")})`);
    else {
      this.log(
        `llama.cpp ${r.llama.version ?? "?"} build ${r.llama.build_number ?? "?"} (${r.llama.commit ?? "?"}) in ${r.llama.bin_dir}:`,
      );
      for (const [name, t] of Object.entries(r.llama.tools)) {
        const c = t.capabilities;
        const spec = c.draftMax
          ? ` draft ${c.draftModel ?? "?"} K ${c.draftMax} p-min ${c.pMin ?? "-"}${c.specTypeDraftSimple ? " +--spec-type draft-simple" : ""}`
          : "";
        this.log(`  ${name}${spec}${t.problem ? `  (${t.problem})` : ""}`);
      }
      if (r.llama.missing.length > 0) this.log(`  missing: ${r.llama.missing.join(", ")}`);
    }
    this.log(`models: ${r.models.length}`);
    for (const m of r.models)
      this.log(
        `  ${m.sha256.slice(0, 12)}  ${m.file}  ${m.size_bytes} B  ${m.architecture ?? m.facts_error ?? ""}`,
      );
    for (const p of r.model_problems) this.log(`  ! ${p}`);
  }
}
