// argv for the llama.cpp tools follows the probed spellings of each build.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Cell } from "../../core/cell.js";
import { RejectedParameterError } from "../../core/errors.js";
import { parseLlamaHelp } from "../../agents/probe/parse-llama-help.js";
import { toolCapabilities } from "../../agents/probe/tool-capabilities.js";
import type { LlamaTool } from "../../core/llama-tools.js";
import { buildCliArgv } from "../../agents/engines/llama-cli/build-cli-argv.js";
import { buildServerArgv, serverConfigFor } from "../../agents/engines/llama-server/server-config.js";
import { REPLAY_FIXTURES } from "../support/replay-llama.js";

const caps = (tool: LlamaTool, help: string) =>
  toolCapabilities(tool, parseLlamaHelp(readFileSync(path.join(REPLAY_FIXTURES, help), "utf8")));
const models = { targetPath: "/m/target.gguf", draftPath: "/m/draft.gguf" };

function cell(over: Partial<Cell> = {}): Cell {
  return {
    cellId: "c1",
    kind: "speculative",
    engine: "llama-speculative-simple",
    target: { name: "t" },
    draft: { name: "d" },
    k: { kind: "fixed", k: 4 },
    pMin: 0.5,
    temperature: 0,
    prompt: "The quick brown fox",
    promptHash: "h",
    promptIndex: 0,
    nPredict: 64,
    seed: 42,
    repeat: 0,
    llama: { gpuLayers: 99, ctx: 1024, flashAttn: "on", threads: 2 },
    ...over,
  };
}

/** The value following `flag` in argv. */
const after = (argv: string[], flag: string): string | undefined => argv[argv.indexOf(flag) + 1];

describe("buildCliArgv", () => {
  it("current build: --spec-draft-* spellings and --spec-type draft-simple", () => {
    const argv = buildCliArgv(
      "llama-speculative-simple",
      "/bin/llama-speculative-simple",
      caps("llama-speculative-simple", "llama-speculative-simple-help.txt"),
      cell(),
      models,
    );
    expect(argv[0]).toBe("/bin/llama-speculative-simple");
    expect(after(argv, "--spec-draft-model")).toBe("/m/draft.gguf");
    expect(after(argv, "--spec-type")).toBe("draft-simple");
    expect(after(argv, "--spec-draft-n-max")).toBe("4");
    expect(after(argv, "--spec-draft-n-min")).toBe("0");
    expect(after(argv, "--spec-draft-p-min")).toBe("0.5");
    expect(after(argv, "-fa")).toBe("on");
    expect(after(argv, "-p")).toBe("The quick brown fox");
    expect(argv).not.toContain("--draft-max");
  });

  it("old build: --draft-max / --draft-p-min / -md, bare -fa, no --spec-type", () => {
    const argv = buildCliArgv(
      "llama-speculative-simple",
      "/old/llama-speculative-simple",
      caps("llama-speculative-simple", "old-build/common-help.txt"),
      cell(),
      models,
    );
    expect(after(argv, "-md")).toBe("/m/draft.gguf");
    expect(after(argv, "--draft-max")).toBe("4");
    expect(after(argv, "--draft-min")).toBe("0");
    expect(after(argv, "--draft-p-min")).toBe("0.5");
    expect(argv).not.toContain("--spec-type");
    expect(argv).not.toContain("--spec-draft-n-max");
    expect(argv[argv.indexOf("-fa") + 1]).not.toBe("on");
  });

  it("llama-speculative is never given --spec-type", () => {
    const argv = buildCliArgv(
      "llama-speculative",
      "/b/llama-speculative",
      caps("llama-speculative", "llama-speculative-help.txt"),
      cell(),
      models,
    );
    expect(argv).not.toContain("--spec-type");
  });

  it("tree drafting on llama-speculative: -np and the split probability in each build's spelling", () => {
    const tree = cell({ engine: "llama-speculative", nParallel: 4, pSplit: 0.25 });
    const current = buildCliArgv(
      "llama-speculative",
      "/b/llama-speculative",
      caps("llama-speculative", "llama-speculative-help.txt"),
      tree,
      models,
    );
    expect(after(current, "-np")).toBe("4");
    expect(after(current, "--spec-draft-p-split")).toBe("0.25");
    const old = buildCliArgv(
      "llama-speculative",
      "/old/llama-speculative",
      caps("llama-speculative", "old-build/common-help.txt"),
      tree,
      models,
    );
    expect(after(old, "-np")).toBe("4");
    expect(after(old, "--draft-p-split")).toBe("0.25");
    // a cell without a tree passes neither (the tool's single sequence)
    const plain = buildCliArgv(
      "llama-speculative",
      "/b/llama-speculative",
      caps("llama-speculative", "llama-speculative-help.txt"),
      cell({ engine: "llama-speculative" }),
      models,
    );
    expect(plain).not.toContain("-np");
    expect(plain).not.toContain("--spec-draft-p-split");
  });

  it("tree drafting is refused on llama-speculative-simple, naming the tool", () => {
    expect(() =>
      buildCliArgv(
        "llama-speculative-simple",
        "/b/llama-speculative-simple",
        caps("llama-speculative-simple", "llama-speculative-simple-help.txt"),
        cell({ nParallel: 2, pSplit: 0.1 }),
        models,
      ),
    ).toThrow(/llama-speculative only; llama-speculative-simple drafts one sequence/);
  });

  it("baseline on llama-completion disables chat mode", () => {
    const argv = buildCliArgv(
      "llama-completion",
      "/b/llama-completion",
      caps("llama-completion", "llama-completion-help.txt"),
      cell({ kind: "baseline", draft: undefined, k: undefined }),
      { targetPath: "/m/target.gguf" },
    );
    expect(argv).toContain("-no-cnv");
    expect(argv).not.toContain("--spec-draft-model");
  });

  it("parallel: clients and sequences", () => {
    const argv = buildCliArgv(
      "llama-parallel",
      "/b/llama-parallel",
      caps("llama-parallel", "llama-parallel-help.txt"),
      cell({ kind: "parallel", concurrency: 4, requests: 8 }),
      models,
    );
    expect(after(argv, "-np")).toBe("4");
    expect(after(argv, "-ns")).toBe("8");
  });

  it.each([
    {
      name: "adaptive K",
      over: { k: { kind: "adaptive", kMin: 1, kMax: 8, kStart: 4, raiseAbove: 0.8, lowerBelow: 0.4 } },
    },
    { name: "no draft model resolved", over: {}, noDraft: true },
  ] as const)("rejects $name", ({ over, ...rest }) => {
    const m = "noDraft" in rest ? { targetPath: "/m/t.gguf" } : models;
    expect(() =>
      buildCliArgv(
        "llama-speculative-simple",
        "/b/x",
        caps("llama-speculative-simple", "llama-speculative-simple-help.txt"),
        cell(over as Partial<Cell>),
        m,
      ),
    ).toThrow(RejectedParameterError);
  });
});

describe("llama-speculative-simple with --spec-type (types other than draft-simple)", () => {
  const helpText = (file: string) => parseLlamaHelp(readFileSync(path.join(REPLAY_FIXTURES, file), "utf8"));
  const current = helpText("llama-speculative-simple-help.txt");
  const simpleCaps = toolCapabilities("llama-speculative-simple", current);
  const ngram = cell({
    specType: "ngram-simple",
    specSettings: { "ngram-simple-size-n": 2, "ngram-simple-size-m": 8 },
    draft: undefined,
    k: undefined,
    pMin: undefined,
  });

  it("ngram-simple: no draft model and no K, the type and its settings as the tool's --help spells them", () => {
    // the captured run llama-speculative-simple-ngram-simple.cmd passed the same flags
    const argv = buildCliArgv(
      "llama-speculative-simple",
      "/b/llama-speculative-simple",
      simpleCaps,
      ngram,
      { targetPath: "/m/target.gguf" },
      current.accepted,
    );
    expect(after(argv, "--spec-type")).toBe("ngram-simple");
    expect(after(argv, "--spec-ngram-simple-size-n")).toBe("2");
    expect(after(argv, "--spec-ngram-simple-size-m")).toBe("8");
    expect(argv).not.toContain("--spec-draft-model");
    expect(argv).not.toContain("--spec-draft-n-max");
    expect(argv).not.toContain("--spec-draft-p-min");
  });

  it("draft-mtp: K flags from the target's heads, no draft model", () => {
    const argv = buildCliArgv(
      "llama-speculative-simple",
      "/b/x",
      simpleCaps,
      cell({ specType: "draft-mtp", draft: undefined, pMin: 0 }),
      { targetPath: "/m/target.gguf" },
      current.accepted,
    );
    expect(after(argv, "--spec-type")).toBe("draft-mtp");
    expect(after(argv, "--spec-draft-n-max")).toBe("4");
    expect(argv).not.toContain("--spec-draft-model");
  });

  it("a build whose llama-speculative-simple has no --spec-type refuses as rejected-parameter, naming it", () => {
    const old = helpText("old-build/common-help.txt");
    const oldCaps = toolCapabilities("llama-speculative-simple", old);
    const run = () =>
      buildCliArgv(
        "llama-speculative-simple",
        "/b/x",
        oldCaps,
        ngram,
        { targetPath: "/m/t.gguf" },
        old.accepted,
      );
    expect(run).toThrow(RejectedParameterError);
    expect(run).toThrow(
      /llama-speculative-simple in this build does not support --spec-type ngram-simple \(its --help lists no --spec-type at all\)/,
    );
  });

  it("a setting the tool's --help lacks is refused naming the flag", () => {
    const run = () =>
      buildCliArgv(
        "llama-speculative-simple",
        "/b/x",
        simpleCaps,
        { ...ngram, specSettings: { "ngram-simple-size-q": 3 } },
        { targetPath: "/m/t.gguf" },
        current.accepted,
      );
    expect(run).toThrow(/llama-speculative-simple in this build has no --spec-ngram-simple-size-q/);
  });

  it("llama-speculative ignores --spec-type, so a type other than draft-simple is refused there", () => {
    const run = () =>
      buildCliArgv(
        "llama-speculative",
        "/b/x",
        caps("llama-speculative", "llama-speculative-help.txt"),
        { ...ngram, engine: "llama-speculative" },
        { targetPath: "/m/t.gguf" },
      );
    expect(run).toThrow(RejectedParameterError);
    expect(run).toThrow(/llama-speculative drafts with a draft model its own way and ignores --spec-type/);
  });
});

describe("llama-server argv", () => {
  const server = (help: string) => {
    const parsed = parseLlamaHelp(readFileSync(path.join(REPLAY_FIXTURES, help), "utf8"));
    return { caps: toolCapabilities("llama-server", parsed), accepted: parsed.accepted };
  };

  it("speculative server on the current build: loopback port, slots scaled context, draft-simple", () => {
    const s = server("llama-server-help.txt");
    const cfg = serverConfigFor(cell({ engine: "llama-server" }), cell().llama);
    const argv = buildServerArgv("/b/llama-server", s.caps, s.accepted, cfg, models, 41959);
    expect(after(argv, "--host")).toBe("127.0.0.1");
    expect(after(argv, "--port")).toBe("41959");
    expect(after(argv, "--spec-type")).toBe("draft-simple");
    expect(after(argv, "--spec-draft-n-max")).toBe("4");
    expect(after(argv, "-np")).toBe("1");
    expect(argv).toContain("--slots");
  });

  it("baseline server has no draft; parallel server has N slots and N x ctx", () => {
    const s = server("llama-server-help.txt");
    const base = serverConfigFor(cell({ kind: "baseline", draft: undefined, k: undefined }), cell().llama);
    expect(buildServerArgv("/b/s", s.caps, s.accepted, base, models, 1)).not.toContain("--spec-draft-model");
    const par = serverConfigFor(
      cell({ kind: "parallel", concurrency: 4, draft: undefined, k: undefined }),
      cell().llama,
    );
    const argv = buildServerArgv("/b/s", s.caps, s.accepted, par, models, 1);
    expect(after(argv, "-np")).toBe("4");
    expect(after(argv, "-c")).toBe("4096");
  });

  it("old server build: --draft-max and -md", () => {
    const s = server("old-build/common-help.txt");
    const argv = buildServerArgv(
      "/b/s",
      s.caps,
      s.accepted,
      serverConfigFor(cell(), cell().llama),
      models,
      1,
    );
    expect(after(argv, "-md")).toBe("/m/draft.gguf");
    expect(after(argv, "--draft-max")).toBe("4");
    expect(argv).not.toContain("--spec-type");
  });
});
