// What one generation (one sequence, one prompt) measured, before it becomes CellMetrics.

/** Why a generation ended. Anything but `n-predict` makes the cell invalid. */
export type StopReason = "n-predict" | "eog" | "context-full" | "cancelled";

export interface GenerationRecord {
  /** Generated token ids, at most nPredict. */
  tokens: number[];
  stopReason: StopReason;
  nPrompt: number;
  /** Prefill of all prompt tokens but the last, in every model the generation uses. */
  promptMs: number;
  /** From the end of prefill to the last generated token: every generated token's forward pass is here. */
  decodeMs: number;
  /** Target forward passes (batches) during decode. */
  targetSteps: number;
  /** Time awaiting the target and the draft during decode (includes KV-cache rollbacks). */
  targetMs: number;
  draftMs: number;
  /**
   * Speculative only: JS time on probabilities (top-k filtering, draws, verification), counted inside
   * targetMs/draftMs where it happens there. node-llama-cpp's own conversion of llama.cpp's probabilities
   * into a Map is not in it (it happens inside the evaluation call).
   */
  samplerMs?: number;
  /** Speculative only. */
  speculative?: {
    nDrafted: number;
    nAccept: number;
    draftedByPosition: number[];
    acceptedByPosition: number[];
    meanK: number;
  };
}

/** Options every generation takes. */
export interface GenerationOptions {
  nPredict: number;
  temperature: number;
  seed: number;
  /** Top-k truncation applied to both models' distributions before sampling. */
  topK: number;
  signal?: AbortSignal;
}
