// The engine factory: maps an EngineName onto its implementation. The llama.cpp engines join this switch.
import type { EngineName } from "../../core/cell.js";
import { ConfigError } from "../../core/errors.js";
import type { Engine } from "./engine.js";
import { InProcessEngine, type InProcessEngineOptions } from "./in-process/in-process-engine.js";

export interface EngineFactoryOptions {
  inProcess?: InProcessEngineOptions;
}

export function createEngine(name: EngineName, opts: EngineFactoryOptions = {}): Promise<Engine> {
  switch (name) {
    case "in-process":
      return Promise.resolve(new InProcessEngine(opts.inProcess));
    default:
      return Promise.reject(
        new ConfigError(`engine ${name} is not available in this build yet; use --engine in-process`, {
          engine: name,
        }),
      );
  }
}
