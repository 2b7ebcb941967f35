// Head types are checked against GGUF metadata before a sweep starts: the reader records the heads a file
// carries, and submit refuses a manifest whose model lacks them, naming the model and the missing metadata.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentInfo } from "../../core/agent-info.js";
import { SpecgridError } from "../../core/errors.js";
import { readGgufFacts, type GgufFacts } from "../../core/gguf/read-gguf-facts.js";
import { writeGguf } from "../../core/gguf/write-gguf.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { missingHeads } from "../../core/spec-types.js";
import { checkSpecHeads } from "../../services/coordinator/check-spec-heads.js";
import { getModelFamily, type ModelFamily } from "../support/model-family.js";

let family: ModelFamily;
let dir: string;
let plain: GgufFacts;
let mtp: GgufFacts;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "specgrid-spec-heads-"));
  family = await getModelFamily();
  plain = await readGgufFacts(path.join(family.dir, "target.gguf"));
  // the smallest file llama.cpp's MTP detection accepts: the metadata and the last block's eh_proj tensor
  const file = path.join(dir, "mtp.gguf");
  await writeGguf(file, {
    metadata: [
      { key: "general.architecture", type: "string", value: "llama" },
      { key: "llama.embedding_length", type: "u32", value: 8 },
      { key: "llama.attention.head_count", type: "u32", value: 2 },
      { key: "llama.context_length", type: "u32", value: 64 },
      { key: "llama.block_count", type: "u32", value: 2 },
      { key: "llama.nextn_predict_layers", type: "u32", value: 1 },
    ],
    tensors: [
      { name: "blk.1.nextn.eh_proj.weight", shape: [8, 16], dtype: "F32", data: new Float32Array(128) },
    ],
  });
  mtp = await readGgufFacts(file);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("GGUF facts record speculation heads", () => {
  it("a plain llama file has none; the MTP file has the metadata and the tensor", () => {
    expect(plain.heads).toEqual({ nextnTensors: false, markovHead: false });
    expect(missingHeads("draft-mtp", plain)).toMatch(/no llama.nextn_predict_layers metadata/);
    expect(mtp.heads).toEqual({ nextnPredictLayers: 1, nextnTensors: true, markovHead: false });
    expect(missingHeads("draft-mtp", mtp)).toBeUndefined();
  });
});

describe("checkSpecHeads at submit", () => {
  const manifest = (specType: string[]) =>
    parseManifest(
      JSON.stringify({
        name: "heads",
        models: {
          tiny: { file: "target.gguf", sha256: "a".repeat(64) },
          mtp: { file: "mtp.gguf", sha256: "b".repeat(64) },
          d: { file: "draft.gguf", sha256: "c".repeat(64) },
        },
        pairs: [
          { target: "tiny", draft: "d" },
          { target: "mtp", draft: "d" },
        ],
        prompts: ["hello"],
        sweep: { k: [2], temperature: [0], spec_type: specType },
      }),
      "heads.yaml",
      "/x",
    );
  const agent = (): AgentInfo => ({
    agentId: "a1",
    name: "a1",
    alive: true,
    lastSeen: new Date().toISOString(),
    runningShards: [],
    slots: 1,
    models: [
      { sha256: "a".repeat(64), file: "target.gguf", bytes: 1, facts: plain },
      { sha256: "b".repeat(64), file: "mtp.gguf", bytes: 1, facts: mtp },
      { sha256: "c".repeat(64), file: "draft.gguf", bytes: 1, facts: plain },
    ],
  });

  it("refuses draft-mtp for the target without MTP heads, naming the model and the metadata", () => {
    let err: unknown;
    try {
      checkSpecHeads(manifest(["draft-simple", "draft-mtp"]), [agent()]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecgridError);
    expect((err as SpecgridError).code).toBe("MODEL_LACKS_HEADS");
    const message = (err as Error).message;
    expect(message).toMatch(
      /spec_type draft-mtp needs MTP heads .* in the target: model "tiny" \(file target.gguf\)/,
    );
    expect(message).toMatch(/no llama.nextn_predict_layers metadata/);
    // the target with heads passes
    expect(message).not.toMatch(/model "mtp"/);
  });

  it("checks draft-eagle3 against the draft, and passes types that need no heads", () => {
    expect(() => checkSpecHeads(manifest(["draft-eagle3"]), [agent()])).toThrow(
      /draft-eagle3 needs EAGLE-3 heads .* in the draft: model "d" .*general.architecture is llama, not eagle3/,
    );
    expect(() => checkSpecHeads(manifest(["draft-simple", "ngram-mod"]), [agent()])).not.toThrow();
  });

  it("refuses when no agent could read the header to check it", () => {
    const blind = agent();
    blind.models = blind.models.map((m) => ({ ...m, facts: undefined }));
    expect(() => checkSpecHeads(manifest(["draft-mtp"]), [blind])).toThrow(
      /no agent could read the GGUF header/,
    );
  });
});
