// What does the draft cost in memory? Per pair, the engine memory and peak GPU memory measured with the draft
// against the target alone, and the estimate from the models' GGUF facts.
import { pairLabel } from "../../../core/cell.js";
import { formatNumber, formatPct } from "../format-number.js";
import { subject, type Question } from "./answer.js";

interface Overhead {
  pair: string;
  mib: number;
  what: string;
}

const meanOf = (s: { mean: number; n: number }): number | undefined => (s.n > 0 ? s.mean : undefined);

export const memory: Question<Overhead> = {
  id: "memory",
  title: "What does the draft cost in memory?",
  subjectsAre: "pairs",
  noData: "No memory figures were reported by the engines in this sweep.",
  subjects({ analysis: a }) {
    return a.memory.flatMap((m) => {
      const alone =
        m.draft === undefined
          ? undefined
          : a.memory.find((x) => x.target === m.target && x.draft === undefined);
      if (alone === undefined) return [];
      const aloneMib = meanOf(alone.memoryMib);
      const withMib = meanOf(m.memoryMib);
      const measured = withMib === undefined || aloneMib === undefined ? undefined : withMib - aloneMib;
      const aloneVram = meanOf(alone.peakVramMib);
      const withVram = meanOf(m.peakVramMib);
      const peak = withVram === undefined || aloneVram === undefined ? undefined : withVram - aloneVram;
      const est =
        m.estimatedMib !== undefined && alone.estimatedMib !== undefined
          ? m.estimatedMib - alone.estimatedMib
          : undefined;
      if (measured === undefined && peak === undefined && est === undefined) return [];
      const parts: string[] = [];
      if (measured !== undefined)
        parts.push(
          `${formatNumber(measured, 1)} MiB of engine memory (${aloneMib === 0 ? "the target alone reported 0 MiB" : `${formatPct(measured / aloneMib!)} over the target alone`})`,
        );
      if (peak !== undefined) parts.push(`${formatNumber(peak, 1)} MiB of peak GPU memory`);
      parts.push(
        est === undefined
          ? "no estimate (the models' GGUF facts are not stored)"
          : `an estimated ${formatNumber(est, 1)} MiB from the GGUF facts`,
      );
      const pair = pairLabel(m.target, m.draft);
      const [mib, what] =
        measured !== undefined
          ? [measured, "engine memory, measured"]
          : peak !== undefined
            ? [peak, "peak GPU memory, measured"]
            : [est!, "estimated from the GGUF facts"];
      return [
        subject(
          `${pair}: the draft adds ${parts.join(", ")}.`,
          [
            {
              pair,
              measuredOverheadMib: measured ?? null,
              peakOverheadMib: peak ?? null,
              estimatedOverheadMib: est ?? null,
            },
          ],
          [],
          { pair, mib, what },
        ),
      ];
    });
  },
  headline(xs) {
    const sorted = [...xs].sort((x, y) => y.mib - x.mib);
    const describe = (x: Overhead): string => `${formatNumber(x.mib, 1)} MiB (${x.pair}, ${x.what})`;
    return sorted.length === 1
      ? `The draft adds ${describe(sorted[0]!)}.`
      : `The drafts add from ${describe(sorted[0]!)} down to ${describe(sorted[sorted.length - 1]!)}.`;
  },
};
