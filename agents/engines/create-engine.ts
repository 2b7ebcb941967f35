// The engine factory: builds an engine by its family in the traits table (core/engines.ts).
import { engineTraitsOf, type EngineName } from "../../core/engines.js";
import { ConfigError } from "../../core/errors.js";
import type { Engine } from "./engine.js";
import { InProcessEngine, type InProcessEngineOptions } from "./in-process/in-process-engine.js";
import type { LlamaCliTool } from "./llama-cli/build-cli-argv.js";
import { LlamaCliEngine, type LlamaCliEngineOptions } from "./llama-cli/llama-cli-engine.js";
import { LlamaBenchEngine } from "./llama-bench/llama-bench-engine.js";
import { LlamaServerEngine, type LlamaServerEngineOptions } from "./llama-server/llama-server-engine.js";

export interface EngineFactoryOptions {
  inProcess?: InProcessEngineOptions;
  /** llama.cpp engines: the probed build directory (agents/probe probeLlamaBuild) and run limits. */
  llama?: Omit<LlamaCliEngineOptions, "tool"> & Omit<LlamaServerEngineOptions, "build">;
}

export function createEngine(name: EngineName, opts: EngineFactoryOptions = {}): Promise<Engine> {
  const traits = engineTraitsOf(name);
  if (traits === undefined) {
    const unknown: string = name;
    return Promise.reject(
      new ConfigError(`engine ${unknown} is not available in this build; use --engine in-process`, {
        engine: unknown,
      }),
    );
  }
  if (traits.family === "in-process") return Promise.resolve(new InProcessEngine(opts.inProcess));
  if (!opts.llama) {
    return Promise.reject(
      new ConfigError(
        `engine ${name} runs a llama.cpp build: pass --llama-bin DIR (or set SPECGRID_LLAMA_BIN)`,
        {
          engine: name,
        },
      ),
    );
  }
  if (traits.family === "llama-bench") return Promise.resolve(new LlamaBenchEngine(opts.llama));
  return Promise.resolve(
    traits.family === "llama-server"
      ? new LlamaServerEngine(opts.llama)
      : new LlamaCliEngine({ ...opts.llama, tool: name as LlamaCliTool }),
  );
}
