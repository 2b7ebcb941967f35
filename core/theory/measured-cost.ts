// The costs the theory charges a step, measured from the recorded draft and target times instead of fitted
// to the speedups they are meant to explain (fitting c to the speedups made "what remains is noise"
// circular, and the fitted c absorbed the verification pass's own extra cost).
//
// Unit: one baseline target pass (the target's decode time per generated token in the paired baselines).
//   c    = draft time per drafted token / one target pass
//   v(K) = target time per verification step (K + 1 positions in one batch) / one target pass
// A step then costs K·c + v(K) target passes, and the theory's speedup is E(α, K) / (K·c + v(K)). With a
// free verification (v = 1) this is the textbook (1 - α^(K+1)) / ((1 - α)(Kc + 1)).

export interface TimedSpecRun {
  draftMs?: number;
  targetMs?: number;
  targetSteps?: number;
  nDrafted?: number;
}

export interface TimedBaselineRun {
  targetMs?: number;
  targetSteps?: number;
}

export interface MeasuredCost {
  /** Draft cost per drafted token, in target passes. */
  c: number;
  /** Verification cost per step, in target passes. */
  v: number;
  /** One baseline target pass, ms. */
  targetPassMs: number;
}

const ok = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x) && x > 0;

/** Undefined unless both sides recorded their model times and step counts. */
export function measuredCost(
  spec: readonly TimedSpecRun[],
  baseline: readonly TimedBaselineRun[],
): MeasuredCost | undefined {
  let baseMs = 0;
  let baseSteps = 0;
  for (const b of baseline) {
    if (!ok(b.targetMs) || !ok(b.targetSteps)) continue;
    baseMs += b.targetMs;
    baseSteps += b.targetSteps;
  }
  let draftMs = 0;
  let drafted = 0;
  let targetMs = 0;
  let steps = 0;
  for (const s of spec) {
    if (!ok(s.draftMs) || !ok(s.targetMs) || !ok(s.targetSteps) || !ok(s.nDrafted)) continue;
    draftMs += s.draftMs;
    drafted += s.nDrafted;
    targetMs += s.targetMs;
    steps += s.targetSteps;
  }
  if (baseSteps === 0 || steps === 0 || drafted === 0) return undefined;
  const targetPassMs = baseMs / baseSteps;
  return { c: draftMs / drafted / targetPassMs, v: targetMs / steps / targetPassMs, targetPassMs };
}
