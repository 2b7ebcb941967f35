// Every α and c the answers print says whether it was measured or fitted, and from what.
import { formatNumber } from "../format-number.js";
import type { FitGroup, Source } from "../sweep-analysis.js";

/** `α=0.812 (measured from accepted-by-position)` or `α=0.790 (fitted to tokens per step)`. */
export function alphaLabel(alpha: number | undefined, source: Source | undefined, from?: string): string {
  if (alpha === undefined) return "α=n/a";
  return `α=${formatNumber(alpha, 3)} (${alphaSourceText(source, from)})`;
}

/** What an α label says in brackets: measured only where its source is measured, fitted otherwise. */
export function alphaSourceText(source: Source | undefined, from?: string): string {
  if (source === "measured")
    return from === "accepted-by-position" ? "measured from accepted-by-position" : "measured";
  return from === "tokensPerStep"
    ? "fitted to tokens per step"
    : from === "acceptRate"
      ? "fitted to acceptance"
      : "fitted";
}

/** The α the theory's speedups use, labelled by what it came from. */
export const theoryAlphaLabel = (fit: FitGroup): string =>
  alphaLabel(
    fit.theoryAlpha,
    fit.theoryAlphaSource,
    fit.theoryAlphaSource === "measured" ? fit.alphaFrom : fit.fit.alphaFrom,
  );

export function costLabel(fit: FitGroup | undefined): string {
  if (fit?.c === undefined) return "c=n/a";
  return `c=${formatNumber(fit.c, 3)} (${fit.cSource === "measured" ? "measured from draft and target times" : "fitted to the speedups"})`;
}
