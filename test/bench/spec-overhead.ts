// spec-overhead: the in-process engine's own cost on its speculative path, against a target pass, on the lab
// family (160 MiB target, draft-d20, K = 4). Per step the engine spends, besides awaiting llama.cpp:
//  - sampler: JS top-k filtering, draws and the accept/resample verification (GenerationRecord.samplerMs);
//  - loop: everything else in the decode loop outside the awaited evaluations (bookkeeping, rollback calls);
//  - probabilities: what asking node-llama-cpp for probability maps adds to a verification batch (the target
//    step at T > 0 against the same step at T = 0, which asks for tokens only): llama.cpp's softmax plus
//    node-llama-cpp's conversion into Maps, paid only at T > 0.
// The headline figure is (sampler + loop) per step as a percentage of one target pass (the baseline's time
// per token); probabilities are reported beside it.
import path from "node:path";
import type { LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { generateBaseline } from "../../agents/engines/in-process/generate-baseline.js";
import { generateSpeculative } from "../../agents/engines/in-process/generate-speculative.js";
import type { GenerationRecord } from "../../agents/engines/in-process/generation-record.js";
import { loadLlama } from "../../agents/engines/in-process/load-llama.js";
import { synthesizeLabFamily } from "../../core/gguf/synth-lab-family.js";
import { benchResult, runStats, type BenchResult } from "./bench-result.js";

const N_PREDICT = 48;
const K = 4;
const TOP_K = 40;
const PROMPT = "The quick brown fox jumps over the lazy dog and";
/** The engine's own work per step must stay below this share of a target pass. */
const TARGET_PCT = 5;

export async function benchSpecOverhead(dir: string, runs: number): Promise<BenchResult> {
  const modelsDir = path.join(dir, "lab");
  await synthesizeLabFamily({ outDir: modelsDir, seed: 1, draftDepths: [20] });
  const { llama, backend } = await loadLlama({ gpu: "cpu", maxThreads: 1 });
  const models: LlamaModel[] = [];
  try {
    const load = async (file: string): Promise<LlamaModel> => {
      const m = await llama.loadModel({ modelPath: path.join(modelsDir, file), gpuLayers: 0 });
      models.push(m);
      return m;
    };
    const target = await load("target.gguf");
    const draft = await load("draft-d20.gguf");
    const ctx = { contextSize: 512, sequences: 1, threads: 1 };
    const targetSeq: LlamaContextSequence = (await target.createContext(ctx)).getSequence();
    const draftSeq: LlamaContextSequence = (await draft.createContext(ctx)).getSequence();
    const prompt = [...(target.tokens.bos === null ? [] : [target.tokens.bos]), ...target.tokenize(PROMPT)];
    const gen = (temperature: number, seed: number) => ({
      nPredict: N_PREDICT,
      temperature,
      seed,
      topK: TOP_K,
    });
    const spec = (temperature: number, seed: number): Promise<GenerationRecord> =>
      generateSpeculative(targetSeq, draftSeq, prompt, {
        ...gen(temperature, seed),
        kPolicy: { kind: "fixed", k: K },
      });

    await generateBaseline(targetSeq, prompt, gen(0, 1)); // warm-up
    await spec(0.75, 1);
    const samples: number[] = [];
    const rows: Record<string, number>[] = [];
    for (let i = 0; i < runs; i++) {
      const base = await generateBaseline(targetSeq, prompt, gen(0, i));
      const passMs = base.decodeMs / base.tokens.length;
      const greedy = await spec(0, i);
      const sampled = await spec(0.75, i);
      const perStep = (r: GenerationRecord, ms: number): number => ms / r.targetSteps;
      const samplerMs = perStep(sampled, sampled.samplerMs ?? 0);
      const loopMs = perStep(sampled, sampled.decodeMs - sampled.targetMs - sampled.draftMs);
      const probabilitiesMs = perStep(sampled, sampled.targetMs) - perStep(greedy, greedy.targetMs);
      const pct = ((samplerMs + loopMs) / passMs) * 100;
      samples.push(pct);
      rows.push({
        target_pass_ms: passMs,
        verify_step_ms_t0: perStep(greedy, greedy.targetMs),
        verify_step_ms_t075: perStep(sampled, sampled.targetMs),
        draft_step_ms_t075: perStep(sampled, sampled.draftMs),
        sampler_ms_per_step: samplerMs,
        loop_ms_per_step: loopMs,
        probabilities_ms_per_step: probabilitiesMs,
        probabilities_pct_of_pass: (probabilitiesMs / passMs) * 100,
        accept_rate_t075: sampled.speculative!.nAccept / sampled.speculative!.nDrafted,
      });
    }
    const median = (key: string): number => runStats(rows.map((r) => r[key]!)).median;
    const keys = Object.keys(rows[0]!);
    return benchResult(
      "spec-overhead",
      "% of a target pass",
      samples,
      { direction: "below", value: TARGET_PCT },
      {
        figure: `JS sampler + loop per speculative step (T=0.75, K=${K}, top-k ${TOP_K}) as % of one target pass`,
        backend,
        n_predict: N_PREDICT,
        ...Object.fromEntries(keys.map((k) => [`${k}_median`, median(k)])),
      },
    );
  } finally {
    for (const m of models.reverse()) await m.dispose();
    await llama.dispose();
  }
}
