// Pure readers of the probes: llama.cpp --help / --version, nvidia-smi CSV, VRAM samples, the tail ring.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLlamaHelp } from "../../agents/probe/parse-llama-help.js";
import { parseLlamaVersion } from "../../agents/probe/parse-llama-version.js";
import { parseCudaVersion, parseGpuCsv } from "../../agents/probe/parse-nvidia-smi.js";
import { toolCapabilities } from "../../agents/probe/tool-capabilities.js";
import type { LlamaTool } from "../../core/llama-tools.js";
import { parseVramSampleLine, summarizeVramSamples } from "../../agents/probe/vram-sampler.js";
import { TailBuffer } from "../../agents/process/tail-buffer.js";
import { REPLAY_FIXTURES } from "../support/replay-llama.js";

const read = (f: string): string => readFileSync(path.join(REPLAY_FIXTURES, f), "utf8");

describe("parseLlamaHelp + toolCapabilities", () => {
  const cases: {
    name: string;
    tool: LlamaTool;
    help: string;
    expected: Record<string, unknown>;
  }[] = [
    {
      name: "current speculative-simple needs --spec-type and uses --spec-draft-* spellings",
      tool: "llama-speculative-simple",
      help: "llama-speculative-simple-help.txt",
      expected: {
        draftModel: "--spec-draft-model",
        draftMax: "--spec-draft-n-max",
        draftMin: "--spec-draft-n-min",
        pMin: "--spec-draft-p-min",
        draftGpuLayers: "--spec-draft-ngl",
        specTypeDraftSimple: true,
        flashAttn: { flag: "-fa", takesValue: true },
      },
    },
    {
      name: "current llama-speculative ignores --spec-type",
      tool: "llama-speculative",
      help: "llama-speculative-help.txt",
      expected: { draftMax: "--spec-draft-n-max", specTypeDraftSimple: false },
    },
    {
      name: "current server: no per-request speculative fields",
      tool: "llama-server",
      help: "llama-server-help.txt",
      expected: { draftMax: "--spec-draft-n-max", specTypeDraftSimple: true, perRequestSpeculative: false },
    },
    {
      name: "current completion offers -no-cnv",
      tool: "llama-completion",
      help: "llama-completion-help.txt",
      expected: { noConversation: "-no-cnv" },
    },
    {
      name: "current parallel: clients and sequences",
      tool: "llama-parallel",
      help: "llama-parallel-help.txt",
      expected: { parallel: "-np", sequences: "-ns" },
    },
    {
      name: "old build: --draft-max / --draft-min / --draft-p-min / -md, bare -fa, no --spec-type",
      tool: "llama-speculative-simple",
      help: "old-build/common-help.txt",
      expected: {
        draftModel: "-md",
        draftMax: "--draft-max",
        draftMin: "--draft-min",
        pMin: "--draft-p-min",
        draftGpuLayers: "-ngld",
        specTypeDraftSimple: false,
        flashAttn: { flag: "-fa", takesValue: false },
      },
    },
    {
      name: "old server honoured per-request speculative fields",
      tool: "llama-server",
      help: "old-build/common-help.txt",
      expected: { draftMax: "--draft-max", perRequestSpeculative: true },
    },
  ];
  it.each(cases)("$name", ({ tool, help, expected }) => {
    const caps = toolCapabilities(tool, parseLlamaHelp(read(help)));
    expect(caps).toMatchObject(expected);
  });

  it("lists removed flags as removed, never as accepted", () => {
    const parsed = parseLlamaHelp(read("llama-speculative-simple-help.txt"));
    expect(parsed.removed).toEqual(expect.arrayContaining(["--draft-max", "--draft-min", "--draft"]));
    expect(parsed.accepted).not.toContain("--draft-max");
    expect(parsed.accepted).toContain("--draft-p-min");
    expect(parsed.specTypes).toContain("draft-simple");
  });

  it("reads llama-bench's indented option list", () => {
    const parsed = parseLlamaHelp(read("llama-bench-help.txt"));
    expect(parsed.accepted).toEqual(expect.arrayContaining(["-o", "--output", "-ngl", "-r"]));
  });
});

describe("parseLlamaVersion", () => {
  it.each([
    {
      text: "version: 0.2.0-dev (build 10587, commit 3f545becc)\nbuilt with GNU 12.2.0 for Linux x86_64\n",
      expected: {
        version: "0.2.0-dev",
        buildNumber: 10587,
        commit: "3f545becc",
        builtWith: "GNU 12.2.0 for Linux x86_64",
      },
    },
    {
      text: "version: 4589 (1a2b3c4d)\n",
      expected: { version: "4589", buildNumber: 4589, commit: "1a2b3c4d" },
    },
    { text: "error: invalid parameter for argument: --version\n", expected: undefined },
  ])("$text", ({ text, expected }) => {
    expect(parseLlamaVersion(text)).toEqual(expected);
  });
});

describe("nvidia-smi readers", () => {
  it("reads the GPU CSV, leaving unsupported fields out", () => {
    const csv =
      "0, NVIDIA H100 80GB HBM3, GPU-1b2c, 81559, 1234, 550.54.15, 9.0, 700.00, 1980, 1980\n" +
      "1, NVIDIA GeForce RTX 4090, GPU-9f00, 24564, 1, 550.54.15, 8.9, [N/A], 210, 3120\n";
    expect(parseGpuCsv(csv)).toEqual([
      {
        index: 0,
        name: "NVIDIA H100 80GB HBM3",
        uuid: "GPU-1b2c",
        memoryTotalMib: 81559,
        memoryUsedMib: 1234,
        driverVersion: "550.54.15",
        computeCapability: "9.0",
        powerLimitW: 700,
        smClockMhz: 1980,
        smClockMaxMhz: 1980,
      },
      {
        index: 1,
        name: "NVIDIA GeForce RTX 4090",
        uuid: "GPU-9f00",
        memoryTotalMib: 24564,
        memoryUsedMib: 1,
        driverVersion: "550.54.15",
        computeCapability: "8.9",
        smClockMhz: 210,
        smClockMaxMhz: 3120,
      },
    ]);
    expect(parseGpuCsv("")).toEqual([]);
  });

  it("finds the CUDA version in the banner", () => {
    expect(
      parseCudaVersion("| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4     |"),
    ).toBe("12.4");
    expect(parseCudaVersion("nothing here")).toBeUndefined();
  });

  it("summarises samples: peak of per-round sums, per-GPU peaks, clock range", () => {
    const samples = [
      parseVramSampleLine("0, 1000, 50, 1900", 0)!,
      parseVramSampleLine("1, 500, 40, 1800", 0)!,
      parseVramSampleLine("0, 3000, 99, 1500", 200)!,
      parseVramSampleLine("1, 200, 10, 1950", 200)!,
    ];
    expect(parseVramSampleLine("garbage", 0)).toBeUndefined();
    expect(summarizeVramSamples(samples)).toEqual({
      samples: 4,
      peakVramMib: 3200,
      peakByGpuMib: { 0: 3000, 1: 500 },
      maxUtilizationPct: 99,
      meanUtilizationPct: (50 + 40 + 99 + 10) / 4,
      minSmClockMhz: 1500,
      maxSmClockMhz: 1950,
    });
    expect(summarizeVramSamples([]).peakVramMib).toBeUndefined();
  });
});

describe("TailBuffer", () => {
  it("keeps whole trailing lines within its byte budget", () => {
    const tail = new TailBuffer(32);
    for (let i = 0; i < 20; i++) tail.push(Buffer.from(`line ${i}\n`));
    const text = tail.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(32);
    expect(text.startsWith("line ")).toBe(true);
    expect(tail.lastLines(2)).toBe("line 18\nline 19");
  });
});
