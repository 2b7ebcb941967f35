import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { Args, Flags } from "@oclif/core";
import { SpecgridError } from "../../../core/errors.js";
import { fileSha256 } from "../../../core/gguf/file-sha256.js";
import { readGgufFacts } from "../../../core/gguf/read-gguf-facts.js";
import { KV_TYPE_BYTES, estimateModelMemory } from "../../../core/memory/estimate-memory.js";
import type { KvCacheType } from "../../../core/memory/estimate-memory.js";

export interface ModelsInspectResult {
  file: string;
  sha256: string;
  gguf_version: number;
  architecture: string;
  name?: string;
  parameter_count: number;
  tensor_count: number;
  tensor_types: Record<string, number>;
  quantization: string;
  file_type?: string;
  file_bytes: number;
  tensor_data_bytes: number;
  context_length: number;
  block_count: number;
  embedding_length: number;
  feed_forward_length?: number;
  head_count: number;
  head_count_kv: number;
  key_length: number;
  value_length: number;
  vocab: {
    model: string;
    size: number;
    bos_id?: number;
    eos_id?: number;
    add_bos?: boolean;
    add_eos?: boolean;
    tokens_sha256: string;
    first_tokens?: string[];
  };
  memory: {
    ctx: number;
    parallel: number;
    kv_type: KvCacheType;
    weights_mib: number;
    kv_cache_mib: number;
    compute_allowance_mib: number;
    total_mib: number;
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export default class ModelsInspect extends SpecgridCommand {
  static override description =
    "Print a GGUF model's facts (architecture, size, tensor types, attention shape, tokenizer fingerprint), " +
    "its sha256, and the memory it needs for a given context. Reads only the header (and streams the file once for the hash).";

  static override examples = [
    "<%= config.bin %> <%= command.id %> models/target.gguf",
    "<%= config.bin %> <%= command.id %> models/llama-3-8b-q4_k_m.gguf --ctx 8192 --parallel 4 --json",
  ];

  static override enableJsonFlag = true;

  static override args = {
    file: Args.string({ description: "path to a .gguf model file", required: true }),
  };

  static override flags = {
    ctx: Flags.integer({
      description: "context tokens per sequence for the memory estimate (default: the model's, at most 4096)",
      min: 1,
    }),
    parallel: Flags.integer({ description: "sequences (slots) for the memory estimate", default: 1, min: 1 }),
    "kv-type": Flags.string({
      description: "KV cache element type for the memory estimate",
      options: Object.keys(KV_TYPE_BYTES),
      default: "f16",
    }),
  };

  async run(): Promise<ModelsInspectResult> {
    const { args, flags } = await this.parse(ModelsInspect);
    let facts;
    try {
      facts = await readGgufFacts(args.file);
    } catch (err) {
      if (err instanceof SpecgridError) this.error(err.message, { exit: 2 });
      throw err;
    }
    const sha256 = await fileSha256(args.file);
    const ctx = flags.ctx ?? Math.min(facts.contextLength, 4096);
    const kvType = flags["kv-type"] as KvCacheType;
    const mem = estimateModelMemory(facts, { ctx, parallel: flags.parallel, kvType });
    const v = facts.vocab;
    const result: ModelsInspectResult = {
      file: args.file,
      sha256,
      gguf_version: facts.ggufVersion,
      architecture: facts.architecture,
      ...(facts.name === undefined ? {} : { name: facts.name }),
      parameter_count: facts.parameterCount,
      tensor_count: facts.tensorCount,
      tensor_types: facts.tensorTypes,
      quantization: facts.quantization,
      ...(facts.fileType === undefined ? {} : { file_type: facts.fileType }),
      file_bytes: facts.fileBytes,
      tensor_data_bytes: facts.tensorDataBytes,
      context_length: facts.contextLength,
      block_count: facts.blockCount,
      embedding_length: facts.embeddingLength,
      ...(facts.feedForwardLength === undefined ? {} : { feed_forward_length: facts.feedForwardLength }),
      head_count: facts.headCount,
      head_count_kv: facts.headCountKv,
      key_length: facts.keyLength,
      value_length: facts.valueLength,
      vocab: {
        model: v.model,
        size: v.size,
        ...(v.bosId === undefined ? {} : { bos_id: v.bosId }),
        ...(v.eosId === undefined ? {} : { eos_id: v.eosId }),
        ...(v.addBos === undefined ? {} : { add_bos: v.addBos }),
        ...(v.addEos === undefined ? {} : { add_eos: v.addEos }),
        tokens_sha256: v.tokensSha256,
        ...(v.firstTokens === undefined ? {} : { first_tokens: v.firstTokens }),
      },
      memory: {
        ctx,
        parallel: flags.parallel,
        kv_type: kvType,
        weights_mib: round2(mem.weightsMib),
        kv_cache_mib: round2(mem.kvCacheMib),
        compute_allowance_mib: round2(mem.computeAllowanceMib),
        total_mib: round2(mem.totalMib),
      },
    };
    this.render(result);
    return result;
  }

  private render(r: ModelsInspectResult): void {
    const types = Object.entries(r.tensor_types)
      .map(([t, n]) => `${t}×${n}`)
      .join(" ");
    const m = r.memory;
    const rows: [string, string][] = [
      ["file", r.file],
      ["sha256", r.sha256],
      ["name", r.name ?? "-"],
      ["architecture", `${r.architecture} (GGUF v${r.gguf_version})`],
      ["parameters", r.parameter_count.toLocaleString("en-US")],
      ["tensors", `${r.tensor_count}: ${types}`],
      [
        "quantization",
        r.file_type === undefined ? r.quantization : `${r.quantization} (file type ${r.file_type})`,
      ],
      ["file size", `${r.file_bytes.toLocaleString("en-US")} bytes`],
      ["context length", String(r.context_length)],
      ["layers", String(r.block_count)],
      ["embedding", String(r.embedding_length)],
      ["feed-forward", r.feed_forward_length === undefined ? "-" : String(r.feed_forward_length)],
      [
        "heads (q / kv)",
        `${r.head_count} / ${r.head_count_kv}, head dim k ${r.key_length} v ${r.value_length}`,
      ],
      [
        "vocab",
        `${r.vocab.model}, ${r.vocab.size} tokens, bos ${r.vocab.bos_id ?? "-"} (add ${r.vocab.add_bos ?? "-"}), ` +
          `eos ${r.vocab.eos_id ?? "-"} (add ${r.vocab.add_eos ?? "-"})`,
      ],
      ["tokens sha256", r.vocab.tokens_sha256],
      [
        `memory @ctx ${m.ctx}×${m.parallel} ${m.kv_type}`,
        `${m.total_mib} MiB = weights ${m.weights_mib} + KV ${m.kv_cache_mib} + compute ${m.compute_allowance_mib}`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, val] of rows) this.log(`${k.padEnd(width)}  ${val}`);
  }
}
