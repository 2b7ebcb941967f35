// The engine factory: maps an EngineName onto its implementation. The llama.cpp engines join this switch.
import type { EngineName } from "../../core/cell.js";
import { ConfigError } from "../../core/errors.js";
import type { Engine } from "./engine.js";
import { InProcessEngine, type InProcessEngineOptions } from "./in-process/in-process-engine.js";
import { LlamaCliEngine, type LlamaCliEngineOptions } from "./llama-cli/llama-cli-engine.js";
import { LlamaServerEngine, type LlamaServerEngineOptions } from "./llama-server/llama-server-engine.js";

export interface EngineFactoryOptions {
  inProcess?: InProcessEngineOptions;
  /** llama.cpp engines: the probed build directory (agents/probe probeLlamaBuild) and run limits. */
  llama?: Omit<LlamaCliEngineOptions, "tool"> & Omit<LlamaServerEngineOptions, "build">;
}

export function createEngine(name: EngineName, opts: EngineFactoryOptions = {}): Promise<Engine> {
  switch (name) {
    case "in-process":
      return Promise.resolve(new InProcessEngine(opts.inProcess));
    case "llama-server":
    case "llama-speculative":
    case "llama-speculative-simple":
    case "llama-completion":
    case "llama-parallel": {
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
      return Promise.resolve(
        name === "llama-server"
          ? new LlamaServerEngine(opts.llama)
          : new LlamaCliEngine({ ...opts.llama, tool: name }),
      );
    }
    default: {
      const unknown: string = name;
      return Promise.reject(
        new ConfigError(`engine ${unknown} is not available in this build; use --engine in-process`, {
          engine: unknown,
        }),
      );
    }
  }
}
