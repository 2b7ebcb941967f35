// Draft-length control. Fixed K drafts the same number every step; adaptive K follows the acceptance of
// the last few steps: when the draft keeps being right, drafting further is cheap profit; when it keeps
// being wrong, every extra draft token is wasted draft time.
import type { KPolicy } from "../cell.js";
import { acceptRate } from "../metrics.js";

export interface KController {
  /** K to draft in the next step. */
  readonly k: number;
  /**
   * Report one verification step: drafted tokens (may be fewer than K near the end of a generation)
   * and how many of them the target accepted.
   */
  record(nDrafted: number, nAccepted: number): void;
  /** Mean K over the steps recorded so far (the policy's K before any step). */
  readonly meanK: number;
}

export interface AdaptiveKOptions {
  /** Steps whose acceptance is pooled before deciding. @default 3 */
  windowSteps?: number;
}

/** Builds the controller for a policy; validates the policy so a bad one fails before any run. */
export function createKController(policy: KPolicy, opts: AdaptiveKOptions = {}): KController {
  return policy.kind === "fixed" ? new FixedKController(policy.k) : new AdaptiveKController(policy, opts);
}

class FixedKController implements KController {
  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`fixed K must be an integer >= 1, got ${k}`);
  }
  get meanK(): number {
    return this.k;
  }
  record(): void {}
}

export class AdaptiveKController implements KController {
  private current: number;
  private readonly window: { drafted: number; accepted: number }[] = [];
  private readonly windowSteps: number;
  private stepsK = 0;
  private steps = 0;

  constructor(
    private readonly policy: Extract<KPolicy, { kind: "adaptive" }>,
    opts: AdaptiveKOptions = {},
  ) {
    const { kMin, kMax, kStart, raiseAbove, lowerBelow } = policy;
    if (!Number.isInteger(kMin) || kMin < 1)
      throw new RangeError(`kMin must be an integer >= 1, got ${kMin}`);
    if (!Number.isInteger(kMax) || kMax < kMin)
      throw new RangeError(`kMax must be an integer >= kMin, got ${kMax}`);
    if (!Number.isInteger(kStart) || kStart < kMin || kStart > kMax) {
      throw new RangeError(`kStart must be an integer in [kMin, kMax] = [${kMin}, ${kMax}], got ${kStart}`);
    }
    if (!(lowerBelow >= 0 && raiseAbove <= 1 && lowerBelow < raiseAbove)) {
      throw new RangeError(`need 0 <= lowerBelow < raiseAbove <= 1, got ${lowerBelow} and ${raiseAbove}`);
    }
    this.windowSteps = opts.windowSteps ?? 3;
    if (!Number.isInteger(this.windowSteps) || this.windowSteps < 1) {
      throw new RangeError(`windowSteps must be an integer >= 1, got ${this.windowSteps}`);
    }
    this.current = kStart;
  }

  get k(): number {
    return this.current;
  }

  get meanK(): number {
    return this.steps === 0 ? this.current : this.stepsK / this.steps;
  }

  record(nDrafted: number, nAccepted: number): void {
    this.steps += 1;
    this.stepsK += this.current;
    this.window.push({ drafted: nDrafted, accepted: nAccepted });
    if (this.window.length < this.windowSteps) return;
    const drafted = this.window.reduce((s, w) => s + w.drafted, 0);
    const accepted = this.window.reduce((s, w) => s + w.accepted, 0);
    // a window that drafted nothing reads as no acceptance: K falls toward kMin
    const rate = acceptRate(accepted, drafted) ?? 0;
    const { kMin, kMax, raiseAbove, lowerBelow } = this.policy;
    if (rate > raiseAbove && this.current < kMax) this.current += 1;
    else if (rate < lowerBelow && this.current > kMin) this.current -= 1;
    else return;
    // A change starts a fresh window: the old steps were measured at another K.
    this.window.length = 0;
  }
}
