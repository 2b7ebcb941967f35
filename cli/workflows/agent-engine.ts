// Builds the agent's engine from its flags: the in-process engine as is; the llama.cpp engines from a probe
// of the build chooseLlamaBin picks (--llama-bin, SPECGRID_LLAMA_BIN, else `specgrid llama build`'s cache),
// whose facts (tool, version, capabilities; never paths) also go into the registration.
import type { EngineName } from "../../core/cell.js";
import { ENGINE_NAMES, ENGINE_TRAITS, type EngineTraits } from "../../core/engines.js";
import { ConfigError } from "../../core/errors.js";
import type { LlamaBuild } from "../../core/wire/generated.js";
import type { Engine } from "../../agents/engines/engine.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import { probeLlamaBuild, type LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import type { LlamaTool } from "../../core/llama-tools.js";
import {
  chooseLlamaBin,
  describeLlamaBin,
  llamaCacheRoot,
  type LlamaBinChoice,
  type LlamaBinSource,
} from "./llama-build.js";

/** Which llama.cpp build a command uses, as --json output reports it. */
export interface LlamaBinJson {
  bin_dir: string;
  /** flag (--llama-bin), env (SPECGRID_LLAMA_BIN) or cache (`specgrid llama build`). */
  source: LlamaBinSource;
  /** Bundle commit and variant of a cached build. */
  commit?: string;
  variant?: string;
}

export function llamaBinJson(choice: LlamaBinChoice): LlamaBinJson {
  return {
    bin_dir: choice.binDir,
    source: choice.source,
    ...(choice.stamp ? { commit: choice.stamp.commit, variant: choice.stamp.variant } : {}),
  };
}

export function isLlamaEngine(name: EngineName): boolean {
  return ENGINE_TRAITS[name].tools.length > 0;
}

/**
 * The build a llama.cpp engine runs: chooseLlamaBin's answer, or a ConfigError that says how to get one.
 * Undefined for the in-process engine (it needs none).
 */
export async function llamaBinFor(
  engine: EngineName,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LlamaBinChoice | undefined> {
  if (!isLlamaEngine(engine)) return undefined;
  const choice = await chooseLlamaBin(flag, env);
  if (choice === undefined) {
    throw new ConfigError(
      `engine ${engine} runs llama.cpp, and no build was found (no --llama-bin, no SPECGRID_LLAMA_BIN, ` +
        `no finished build under ${llamaCacheRoot(env)}): run 'specgrid llama build' (about 15 minutes on ` +
        `2 cores, reused afterwards), or pass --llama-bin DIR with a llama.cpp build's bin directory`,
      { engine },
    );
  }
  return choice;
}

/** The tool an engine starts for its speculative cells (core/engines.ts: the first of its tools). */
function mainTool(engine: EngineName): LlamaTool | undefined {
  return ENGINE_TRAITS[engine].tools[0];
}

/** Probes the chosen build for a llama.cpp engine; fails when the engine's own tool is not in it. */
export async function probeAgentLlama(
  engine: EngineName,
  choice: LlamaBinChoice | undefined,
): Promise<LlamaBuildProbe | undefined> {
  if (!isLlamaEngine(engine)) return undefined;
  const build = await probeLlamaBuild(choice?.binDir);
  const tool = mainTool(engine);
  if (tool !== undefined && build.tools[tool] === undefined) {
    const missing =
      choice === undefined ? "no llama.cpp build was given" : `it is not in ${describeLlamaBin(choice)}`;
    throw new ConfigError(
      `engine ${engine} needs ${tool}, and ${missing}` +
        (build.notes.length > 0 ? ` (${build.notes.join("; ")})` : "") +
        `: point --llama-bin at a build's bin directory, or run 'specgrid llama build'`,
      { engine, binDir: choice?.binDir },
    );
  }
  return build;
}

/** The registration's llama.cpp facts from a probed build. */
export function llamaBuildsOf(build: LlamaBuildProbe | undefined): LlamaBuild[] {
  if (build === undefined) return [];
  return Object.values(build.tools).map((t) => ({
    binary: t.tool,
    version: t.version?.version ?? build.version?.version ?? "unknown",
    buildNumber: t.version?.buildNumber,
    commit: t.version?.commit,
    capabilitiesJson: JSON.stringify(t.capabilities),
  }));
}

/** An engine for one agent; `build` comes from probeAgentLlama (one probe serves several agents). */
export async function engineFor(name: EngineName, build: LlamaBuildProbe | undefined): Promise<Engine> {
  return !isLlamaEngine(name) || build === undefined
    ? createEngine(name)
    : createEngine(name, { llama: { build } });
}

/**
 * The engines an agent of `name` runs beside it (core/engines.ts `companion`: llama-bench baselines): every
 * companion whose tool is in the probed build, for a llama.cpp engine; none for in-process.
 */
export async function companionEngines(
  name: EngineName,
  build: LlamaBuildProbe | undefined,
): Promise<Map<EngineName, Engine>> {
  const out = new Map<EngineName, Engine>();
  if (!isLlamaEngine(name) || build === undefined) return out;
  for (const companion of ENGINE_NAMES) {
    const traits: EngineTraits = ENGINE_TRAITS[companion];
    const tool = mainTool(companion);
    if (traits.companion !== true || companion === name || tool === undefined) continue;
    if (build.tools[tool] !== undefined) out.set(companion, await engineFor(companion, build));
  }
  return out;
}

export async function agentEngine(
  name: EngineName,
  choice: LlamaBinChoice | undefined,
): Promise<{ engine: Engine; companions: Map<EngineName, Engine>; llamaBuilds: LlamaBuild[] }> {
  const build = await probeAgentLlama(name, choice);
  return {
    engine: await engineFor(name, build),
    companions: await companionEngines(name, build),
    llamaBuilds: llamaBuildsOf(build),
  };
}
