// llama.cpp prints `-nan`, `nan` and `inf` where a ratio has a zero denominator. Those are not
// measurements, so they read as undefined and the field lands in `missing`.

/** A finite number from a captured figure, or undefined for nan/inf/garbage. */
export function readNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** Seconds as printed (e.g. `0.569`) to milliseconds, without binary-fraction noise like 569.0000000001. */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e6;
}

/** A finite number from a parsed JSON value (llama.cpp JSON can carry null where C++ had nan). */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
