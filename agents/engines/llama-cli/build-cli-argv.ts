// argv for one cell on a llama.cpp CLI tool, spelled the way the probed build accepts. Every value that
// changes a result is passed explicitly (K, p_min, draft min, seed, temperature) because defaults moved
// between builds (K 16 → 3, p_min 0.75 → 0.0 in 2026-05): an omitted flag would make two hosts differ.
import type { Cell } from "../../../core/cell.js";
import { ENGINE_NAMES, ENGINE_TRAITS, type EngineOfFamily } from "../../../core/engines.js";
import { RejectedParameterError } from "../../../core/errors.js";
import { speculationArgv } from "../../../core/llama-server-flags.js";
import { DEFAULT_SPEC_TYPE, specTypeTraits } from "../../../core/spec-types.js";
import type { ResolvedModels } from "../engine.js";
import type { ToolCapabilities } from "../../probe/tool-capabilities.js";

/** The CLI tools that are engines of their own (core/engines.ts, family llama-cli). */
export type LlamaCliTool = EngineOfFamily<"llama-cli">;

function need(caps: ToolCapabilities, key: keyof ToolCapabilities, tool: string, what: string): string {
  const flag = caps[key];
  if (typeof flag !== "string") {
    throw new RejectedParameterError(
      `${tool} in this llama.cpp build has no flag for ${what}; use a build whose --help lists it`,
      { tool, capability: key },
    );
  }
  return flag;
}

/** Settings shared by every tool: model, prompt, sampling, context, offload, threads. */
function commonArgs(tool: string, caps: ToolCapabilities, cell: Cell, models: ResolvedModels): string[] {
  const argv = ["-m", models.targetPath, "-p", cell.prompt, "-n", String(cell.nPredict)];
  argv.push("--temp", String(cell.temperature), "-s", String(cell.seed), "-c", String(cell.llama.ctx));
  argv.push(need(caps, "gpuLayers", tool, "GPU layers (-ngl)"), String(cell.llama.gpuLayers));
  if (cell.llama.threads !== undefined) argv.push("-t", String(cell.llama.threads));
  if (cell.llama.batch !== undefined) argv.push("-b", String(cell.llama.batch));
  const fa = caps.flashAttn;
  if (fa && cell.llama.flashAttn !== "auto") {
    if (fa.takesValue) argv.push(fa.flag, cell.llama.flashAttn);
    else if (cell.llama.flashAttn === "on") argv.push(fa.flag);
  }
  return argv;
}

/**
 * A speculation type other than draft-simple (n-gram, heads in a GGUF) on a tool that takes `--spec-type`
 * (core/engines.ts specTypeFlag): the same common flags llama-server takes, checked against the tool's own
 * --help, so a build whose tool lacks the type, a setting's flag or `--spec-type` itself refuses the cell
 * as rejected-parameter, naming what is missing.
 */
function specTypeArgs(
  tool: LlamaCliTool,
  caps: ToolCapabilities,
  accepted: readonly string[] | undefined,
  cell: Cell,
  models: ResolvedModels,
): string[] {
  const specType = cell.specType ?? DEFAULT_SPEC_TYPE;
  if (!ENGINE_TRAITS[tool].specTypeFlag) {
    throw new RejectedParameterError(
      `${tool} drafts with a draft model its own way and ignores --spec-type; spec_type ${specType} runs on ${ENGINE_NAMES.filter((n) => ENGINE_TRAITS[n].specTypeFlag).join(" or ")}`,
      { cellId: cell.cellId, tool, specType },
    );
  }
  const usesK = specTypeTraits(specType).usesK;
  if (usesK && cell.k?.kind !== "fixed") {
    throw new RejectedParameterError(
      `${tool} drafts a fixed K; the adaptive K policy runs only on the in-process engine`,
      { cellId: cell.cellId },
    );
  }
  const argv = speculationArgv(
    caps,
    accepted,
    {
      speculative: true,
      specType,
      ...(cell.specSettings === undefined ? {} : { specSettings: cell.specSettings }),
      ...(usesK && cell.k?.kind === "fixed" ? { k: cell.k.k, pMin: cell.pMin ?? 0 } : {}),
      slots: 1,
      llama: cell.llama,
    },
    models.draftPath,
    tool,
  );
  // the tree-drafting tool takes no --spec-type: treeArgs refuses a tree here
  argv.push(...treeArgs(tool, caps, cell));
  return argv;
}

function draftArgs(tool: LlamaCliTool, caps: ToolCapabilities, cell: Cell, models: ResolvedModels): string[] {
  if (models.draftPath === undefined) {
    throw new RejectedParameterError(`${tool} needs a draft model, and cell ${cell.cellId} names none`, {
      cellId: cell.cellId,
    });
  }
  if (cell.k?.kind !== "fixed") {
    throw new RejectedParameterError(
      `${tool} drafts a fixed K; the adaptive K policy runs only on the in-process engine`,
      { cellId: cell.cellId },
    );
  }
  const argv = [need(caps, "draftModel", tool, "the draft model"), models.draftPath];
  if (caps.specTypeDraftSimple) argv.push("--spec-type", "draft-simple");
  argv.push(need(caps, "draftMax", tool, "draft max (K)"), String(cell.k.k));
  if (caps.draftMin) argv.push(caps.draftMin, "0");
  if (caps.pMin) argv.push(caps.pMin, String(cell.pMin ?? 0));
  else if (cell.pMin !== undefined && cell.pMin !== 0) {
    throw new RejectedParameterError(
      `${tool} in this build has no p-min flag; cell asks for p_min ${cell.pMin}`,
      {
        cellId: cell.cellId,
      },
    );
  }
  if (caps.draftGpuLayers) argv.push(caps.draftGpuLayers, String(cell.llama.gpuLayers));
  argv.push(...treeArgs(tool, caps, cell));
  return argv;
}

/** Tree drafting: draft sequences (`-np`) and the split probability, on the tools with treeDrafting (§4). */
function treeArgs(tool: LlamaCliTool, caps: ToolCapabilities, cell: Cell): string[] {
  if (cell.nParallel === undefined && cell.pSplit === undefined) return [];
  if (!ENGINE_TRAITS[tool].treeDrafting) {
    const tree = ENGINE_NAMES.filter((n) => ENGINE_TRAITS[n].treeDrafting);
    throw new RejectedParameterError(
      `tree drafting (n_parallel, p_split) runs on ${tree.join(", ")} only; ${tool} drafts one sequence`,
      { cellId: cell.cellId, tool },
    );
  }
  const argv: string[] = [];
  if (cell.nParallel !== undefined)
    argv.push(need(caps, "parallel", tool, "draft sequences (-np)"), String(cell.nParallel));
  if (cell.pSplit !== undefined)
    argv.push(need(caps, "pSplit", tool, "the tree split probability (p_split)"), String(cell.pSplit));
  return argv;
}

/** The full argv (program first) for `cell` on `tool` at `binPath`. Throws RejectedParameterError. */
export function buildCliArgv(
  tool: LlamaCliTool,
  binPath: string,
  caps: ToolCapabilities,
  cell: Cell,
  models: ResolvedModels,
  /** Flags the tool's --help lists (the probe's acceptedFlags); a speculation setting's flag is checked against it. */
  accepted?: readonly string[],
): string[] {
  const argv = [binPath, ...commonArgs(tool, caps, cell, models)];
  switch (tool) {
    case "llama-speculative":
    case "llama-speculative-simple":
      // draft-simple keeps the argv it had before the type was a dimension
      argv.push(
        ...((cell.specType ?? DEFAULT_SPEC_TYPE) === DEFAULT_SPEC_TYPE
          ? draftArgs(tool, caps, cell, models)
          : specTypeArgs(tool, caps, accepted, cell, models)),
      );
      break;
    case "llama-completion":
      // With a chat template in the model, llama-completion turns interactive and waits on stdin (§5.1).
      if (caps.noConversation) argv.push(caps.noConversation);
      break;
    case "llama-parallel": {
      const clients = cell.concurrency ?? 1;
      argv.push(need(caps, "parallel", tool, "clients (-np)"), String(clients));
      argv.push(need(caps, "sequences", tool, "sequences (-ns)"), String(cell.requests ?? clients));
      break;
    }
  }
  return argv;
}
