import { describe, expect, it } from "vitest";
import { createEngine } from "../../agents/engines/create-engine.js";
import {
  ENGINE_NAMES,
  ENGINE_TRAITS,
  MANIFEST_ENGINES,
  engineTraitsOf,
  toolForCell,
  type EngineTraits,
} from "../../core/engines.js";
import type { LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";

describe("engine traits table (core/engines.ts)", () => {
  it("lists every engine once; the manifest engines are the entries marked manifest", () => {
    expect(new Set(ENGINE_NAMES).size).toBe(ENGINE_NAMES.length);
    expect(MANIFEST_ENGINES).toEqual(ENGINE_NAMES.filter((n) => ENGINE_TRAITS[n].manifest));
    expect(MANIFEST_ENGINES).toContain("llama-server");
    expect(MANIFEST_ENGINES).not.toContain("llama-completion");
  });

  it("engines that run llama.cpp name their tools; only adaptive-K engines draft per step", () => {
    for (const name of ENGINE_NAMES) {
      const t = ENGINE_TRAITS[name];
      expect(t.tools.length > 0, name).toBe(t.family !== "in-process");
      if (t.family === "llama-cli") expect(t.tools[0], name).toBe(name);
      // every tool a cell kind is left to is one of the engine's tools
      const traits: EngineTraits = t;
      for (const tool of Object.values(traits.cellTools ?? {})) expect(t.tools, name).toContain(tool);
      if (t.adaptiveK) expect(t.loads, name).toBe("session");
    }
  });

  it("toolForCell: speculative CLI tools leave baselines to llama-completion, parallel to llama-parallel", () => {
    expect(toolForCell("llama-speculative-simple", "speculative")).toBe("llama-speculative-simple");
    expect(toolForCell("llama-speculative", "baseline")).toBe("llama-completion");
    expect(toolForCell("llama-speculative", "parallel")).toBe("llama-parallel");
    expect(toolForCell("llama-server", "baseline")).toBe("llama-server");
    expect(toolForCell("llama-completion", "baseline")).toBe("llama-completion");
    expect(toolForCell("in-process", "speculative")).toBeUndefined();
  });

  it("engineTraitsOf reads user input: undefined for a name that is no engine", () => {
    expect(engineTraitsOf("in-process")?.family).toBe("in-process");
    expect(engineTraitsOf("toString")).toBeUndefined();
    expect(engineTraitsOf("llama-cuda")).toBeUndefined();
  });

  it("createEngine builds every entry by its family, and names the flag a llama.cpp engine needs", async () => {
    const build = { binDir: "/nonexistent", tools: {}, notes: [] } as unknown as LlamaBuildProbe;
    for (const name of ENGINE_NAMES) {
      const family = ENGINE_TRAITS[name].family;
      const engine = await createEngine(name, { llama: { build } });
      expect(engine.name, name).toBe(name);
      await engine.dispose();
      if (family !== "in-process") await expect(createEngine(name)).rejects.toThrow(/--llama-bin/);
    }
    await expect(createEngine("llama-cuda" as never)).rejects.toThrow(/not available in this build/);
  });
});
