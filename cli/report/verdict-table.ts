// The verdict a reader came for, one table per host: for each pair (fixed K, or an adaptive method) the
// best setting, its speedup with its interval, its acceptance, and whether to turn speculation on. A
// setting counts only when its speedup is stable: groups that ran under contention (host noise) or whose
// interval is too wide (cli/report/noise-check.ts) never decide a verdict. A stable setting decides when its
// interval lies wholly on one side of 1; only where no stable setting decides and some settings are
// unstable does the verdict say there is not enough stable data instead of guessing.
import { isContended, speedupNoise } from "./noise-check.js";
import { formatCi, formatNumber, formatPct } from "./format-number.js";
import type { SpeculativeGroup, SweepAnalysis } from "./sweep-analysis.js";

export type VerdictKind = "enable" | "do-not-enable" | "not-enough-stable-data";

export interface Verdict {
  hostId: string;
  target: string;
  /** `target+draft`, with ` (adaptive K)` for the adaptive method. */
  method: string;
  kind: VerdictKind;
  /** The group the row's figures come from (the best stable one; undefined when none is stable). */
  best?: SpeculativeGroup;
  /** Temperatures at which a stable setting's 95% interval lies above 1 (enable only). */
  temperatures: number[];
  /** Where the best setting's own K pays (enable only): the best configuration's temperature range. */
  bestTemperatures: number[];
  /** The K to run at each of those temperatures, deduplicated (enable only). */
  ks: number[];
  /** Settings left out as contended or too noisy. */
  unstable: number;
  settings: number;
  /** The sentence in the verdict column. */
  text: string;
}

export const VERDICT_HEADERS = [
  "target",
  "best configuration",
  "speedup (95% CI)",
  "acceptance",
  "verdict",
] as const;

const bySpeedup = (gs: SpeculativeGroup[]): SpeculativeGroup | undefined =>
  gs.reduce<SpeculativeGroup | undefined>(
    (best, g) => (best === undefined || (g.speedup ?? -Infinity) > (best.speedup ?? -Infinity) ? g : best),
    undefined,
  );

const tempRange = (ts: number[]): string =>
  ts.length === 0 ? "" : ts.length === 1 ? `T=${ts[0]}` : `T=${ts[0]}–${ts[ts.length - 1]}`;

/** `2 of 6 settings ran under contention, 1 never became stable (sweep.precision), 1 too noisy`. */
function whyUnstable(groups: SpeculativeGroup[], settings: number): string {
  const contended = groups.filter((g) => isContended(g)).length;
  const imprecise = groups.filter((g) => !isContended(g) && g.precision?.met === false).length;
  const noisy = groups.length - contended - imprecise;
  const parts = [
    contended > 0 ? `${contended} ran under contention` : "",
    imprecise > 0 ? `${imprecise} never became stable (sweep.precision)` : "",
    noisy > 0 ? `${noisy} too noisy` : "",
  ].filter((p) => p !== "");
  return `of ${settings} setting(s), ${parts.length > 0 ? parts.join(", ") : "none has a speedup"}`;
}

function verdictOf(hostId: string, method: string, groups: SpeculativeGroup[]): Verdict {
  const target = groups[0]?.target ?? "";
  const settings = groups.length;
  const base = { hostId, target, method, settings };
  if (groups.every((g) => g.noneAccepted === true)) {
    return {
      ...base,
      kind: "do-not-enable",
      temperatures: [],
      bestTemperatures: [],
      ks: [],
      unstable: 0,
      text: "do not enable: the target accepted none of the draft's tokens",
    };
  }
  const usable = groups.filter((g) => g.speedup !== undefined && g.noneAccepted !== true);
  const stable = usable.filter((g) => speedupNoise(g) === undefined);
  const unstable = usable.length - stable.length;
  const paying = stable.filter((g) => g.speedupCi95 !== undefined && g.speedupCi95[0] > 1);
  if (paying.length > 0) {
    const best = bySpeedup(paying)!;
    const temperatures = [...new Set(paying.map((g) => g.temperature))].sort((x, y) => x - y);
    // the K to run at each temperature where one pays: the best paying setting there, consecutive
    // temperatures with the same K written as one range
    const perT = temperatures.map((t) => ({ t, g: bySpeedup(paying.filter((g) => g.temperature === t))! }));
    const runs: Array<{ k: string; ts: number[] }> = [];
    for (const { t, g } of perT) {
      const k = g.adaptive ? `adaptive K≤${g.k}` : `K=${g.k}`;
      const last = runs[runs.length - 1];
      if (last !== undefined && last.k === k) last.ts.push(t);
      else runs.push({ k, ts: [t] });
    }
    const ks = [...new Set(perT.map(({ g }) => g.k))].sort((x, y) => x - y);
    // the best configuration's temperature range: where its own K pays
    const bestTemps = temperatures.filter((t) =>
      paying.some((g) => g.temperature === t && g.k === best.k && g.adaptive === best.adaptive),
    );
    return {
      ...base,
      kind: "enable",
      best,
      temperatures,
      bestTemperatures: bestTemps,
      ks,
      unstable,
      text: `enable with ${runs.map((r) => `${r.k} for ${tempRange(r.ts)}`).join(", ")}`,
    };
  }
  // A stable setting decides when its interval lies wholly on one side of 1. None lies above (that would be
  // "enable"), so the pair is not enabled when its stable data says so: every stable setting lies below 1,
  // or none of its settings is unstable. Only where no stable setting decides and some are unstable could
  // the unstable ones still change the answer.
  const losing = stable.filter((g) => g.speedupCi95 !== undefined && g.speedupCi95[1] < 1);
  const noisyNote =
    unstable > 0
      ? `; ${whyUnstable(
          usable.filter((g) => speedupNoise(g) !== undefined),
          settings,
        )}`
      : "";
  if (stable.length > 0 && (unstable === 0 || losing.length > 0)) {
    const best = bySpeedup(stable)!;
    return {
      ...base,
      kind: "do-not-enable",
      best,
      temperatures: [],
      bestTemperatures: [],
      ks: [],
      unstable,
      text:
        losing.length === stable.length
          ? `do not enable: every stable setting is slower than the target alone (95% interval below 1)${noisyNote}`
          : `do not enable: no setting's 95% interval lies above 1${losing.length > 0 ? ` and ${losing.length} lie below` : ""}${noisyNote}`,
    };
  }
  const best = bySpeedup(stable);
  return {
    ...base,
    kind: "not-enough-stable-data",
    ...(best === undefined ? {} : { best }),
    temperatures: [],
    bestTemperatures: [],
    ks: [],
    unstable,
    text: `not enough stable data: ${whyUnstable(
      usable.filter((g) => speedupNoise(g) !== undefined),
      settings,
    )}${
      usable.length < settings ? `, ${settings - usable.length} without a speedup` : ""
    }; rerun on an idle host or add repeats`,
  };
}

/** One verdict per (host, pair, method), hosts in the analysis's order. */
export function verdicts(a: SweepAnalysis): Verdict[] {
  const out: Verdict[] = [];
  for (const hostId of a.hostIds) {
    const mine = a.speculative.filter((g) => g.hostId === hostId);
    const keys = [...new Set(mine.map((g) => `${g.pair}\u0000${g.adaptive ? "a" : "f"}`))];
    for (const key of keys) {
      const [pair = "", mode] = key.split("\u0000");
      const adaptive = mode === "a";
      const groups = mine.filter((g) => g.pair === pair && g.adaptive === adaptive);
      out.push(verdictOf(hostId, adaptive ? `${pair} (adaptive K)` : pair, groups));
    }
  }
  return out;
}

/** The table row for a verdict, in VERDICT_HEADERS order. */
export function verdictRow(v: Verdict): string[] {
  const b = v.best;
  const temps = v.kind === "enable" ? v.bestTemperatures : b === undefined ? [] : [b.temperature];
  const config =
    b === undefined
      ? v.method
      : `${v.method}, ${b.adaptive ? `adaptive K≤${b.k}` : `K=${b.k}`}, ${tempRange(temps)}`;
  return [
    v.target,
    config,
    b === undefined ? "n/a" : `${formatNumber(b.speedup)}x ${formatCi(b.speedupCi95)}`,
    b === undefined ? "n/a" : formatPct(b.acceptPooled.rate),
    v.text,
  ];
}
