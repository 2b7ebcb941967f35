// The theory for K = 1..kMax side by side: why doubling K does not double the speedup (the yield saturates
// at 1/(1-α) while the draft cost keeps growing with K), and which K the theory expects to be best.
import { breakEvenAlpha } from "./break-even-alpha.js";
import { expectedSpeedup, expectedTokensPerStep } from "./expected-speedup.js";

export interface TheoryRow {
  k: number;
  tokensPerStep: number;
  speedup: number;
  /** Acceptance at which this K breaks even; null when no acceptance does. */
  breakEvenAlpha: number | null;
}

export interface TheoryTable {
  alpha: number;
  c: number;
  rows: TheoryRow[];
  /** The K with the highest expected speedup (the smallest such K on ties). */
  bestK: number;
  bestSpeedup: number;
}

export function theoryTable(input: { alpha: number; c: number; kMax: number }): TheoryTable {
  const { alpha, c, kMax } = input;
  if (!Number.isInteger(kMax) || kMax < 1)
    throw new RangeError(`kMax must be a whole number >= 1 (got ${kMax})`);
  const rows: TheoryRow[] = [];
  let bestK = 1;
  let bestSpeedup = Number.NEGATIVE_INFINITY;
  for (let k = 1; k <= kMax; k++) {
    const speedup = expectedSpeedup(alpha, c, k);
    rows.push({
      k,
      tokensPerStep: expectedTokensPerStep(alpha, k),
      speedup,
      breakEvenAlpha: breakEvenAlpha(c, k),
    });
    if (speedup > bestSpeedup) {
      bestK = k;
      bestSpeedup = speedup;
    }
  }
  return { alpha, c, rows, bestK, bestSpeedup };
}
