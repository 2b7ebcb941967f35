import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import path from "node:path";
import { Args, Flags } from "@oclif/core";
import { SpecgridError } from "../../../core/errors.js";
import { checkDraftCompatibility } from "../../../core/gguf/check-pair.js";
import { readGgufModel } from "../../../core/gguf/read-gguf-facts.js";
import type { GgufModel } from "../../../core/gguf/read-gguf-facts.js";
import { KV_TYPE_BYTES, estimatePairMemory } from "../../../core/memory/estimate-memory.js";
import type { KvCacheType, ModelMemory } from "../../../core/memory/estimate-memory.js";

interface MemoryJson {
  weights_mib: number;
  kv_cache_mib: number;
  compute_allowance_mib: number;
  total_mib: number;
}

export interface ModelsPairResult {
  target: string;
  draft: string;
  compatible: true;
  memory: {
    ctx: number;
    parallel: number;
    kv_type: KvCacheType;
    target: MemoryJson;
    draft: MemoryJson;
    target_alone_mib: number;
    with_draft_mib: number;
    overhead_mib: number;
    overhead_pct: number;
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const memoryJson = (m: ModelMemory): MemoryJson => ({
  weights_mib: round2(m.weightsMib),
  kv_cache_mib: round2(m.kvCacheMib),
  compute_allowance_mib: round2(m.computeAllowanceMib),
  total_mib: round2(m.totalMib),
});

export default class ModelsPair extends SpecgridCommand {
  static override description =
    "Check that a draft can pair with a target for speculative decoding (llama.cpp's vocabulary rules) and " +
    "estimate the memory of the pair against the target alone. Exits 2 naming the first mismatch when they cannot pair.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> models/target.gguf models/draft-n0.02.gguf",
    "<%= config.bin %> <%= command.id %> llama-70b-q4.gguf llama-1b-q8.gguf --ctx 8192 --parallel 4 --json",
  ];

  static override enableJsonFlag = true;

  static override args = {
    target: Args.string({ description: "target model (.gguf)", required: true }),
    draft: Args.string({ description: "draft model (.gguf)", required: true }),
  };

  static override flags = {
    ctx: Flags.integer({
      description:
        "context tokens per sequence for the memory estimate (default: the target's, at most 4096)",
      min: 1,
    }),
    parallel: Flags.integer({ description: "sequences (slots) for the memory estimate", default: 1, min: 1 }),
    "kv-type": Flags.string({
      description: "KV cache element type for the memory estimate",
      options: Object.keys(KV_TYPE_BYTES),
      default: "f16",
    }),
  };

  async run(): Promise<ModelsPairResult> {
    const { args, flags } = await this.parse(ModelsPair);
    let target: GgufModel;
    let draft: GgufModel;
    try {
      target = await readGgufModel(args.target);
      draft = await readGgufModel(args.draft);
      checkDraftCompatibility(
        { name: path.basename(args.target), vocab: target.vocab },
        { name: path.basename(args.draft), vocab: draft.vocab },
      );
    } catch (err) {
      if (err instanceof SpecgridError) this.error(err.message, { exit: 2 });
      throw err;
    }
    const ctx = flags.ctx ?? Math.min(target.facts.contextLength, 4096);
    const kvType = flags["kv-type"] as KvCacheType;
    const est = estimatePairMemory(target.facts, draft.facts, { ctx, parallel: flags.parallel, kvType });
    const result: ModelsPairResult = {
      target: args.target,
      draft: args.draft,
      compatible: true,
      memory: {
        ctx,
        parallel: flags.parallel,
        kv_type: kvType,
        target: memoryJson(est.target),
        draft: memoryJson(est.draft),
        target_alone_mib: round2(est.targetAloneMib),
        with_draft_mib: round2(est.withDraftMib),
        overhead_mib: round2(est.overheadMib),
        overhead_pct: round2(est.overheadPct),
      },
    };
    const m = result.memory;
    this.log(`${path.basename(args.draft)} can draft for ${path.basename(args.target)}`);
    this.log(
      `memory @ctx ${ctx}×${flags.parallel} ${kvType}: target alone ${m.target_alone_mib} MiB, with draft ${m.with_draft_mib} MiB`,
    );
    this.log(`speculation overhead: +${m.overhead_mib} MiB (+${m.overhead_pct}%)`);
    return result;
  }
}
