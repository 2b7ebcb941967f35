// Server responses come either already parsed (an engine's fetch) or as text (a file given to
// `specgrid parse`, an SSE stream). Text that does not parse is reported, never guessed at.

export type JsonReadResult = { ok: true; value: unknown } | { ok: false; reason: string; excerpt: string };

/**
 * Parse JSON text; for a `stream: true` capture (`data: {...}` lines) take the last event that
 * carries `timings`, since only the final event has the totals.
 */
export function readJson(input: unknown): JsonReadResult {
  if (typeof input !== "string") return { ok: true, value: input };
  const text = input.trim();
  if (text.startsWith("data:")) return readLastSseEvent(text);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: (err as Error).message, excerpt: text.slice(-200) };
  }
}

function readLastSseEvent(text: string): JsonReadResult {
  const events = text
    .split("\n")
    .filter((l) => l.startsWith("data:"))
    .map((l) => l.slice("data:".length).trim())
    .filter((l) => l !== "" && l !== "[DONE]");
  const parsed: Record<string, unknown>[] = [];
  for (const event of events) {
    try {
      const value = JSON.parse(event) as unknown;
      if (isRecord(value)) parsed.push(value);
    } catch {
      // an event cut off mid-line: the final event is then missing too, reported below
    }
  }
  const final =
    parsed.findLast((e) => "timings" in e && e.stop === true) ?? parsed.findLast((e) => "timings" in e);
  if (final) {
    // each event carries one piece of the text; the final one carries the totals
    const content = parsed.map((e) => (typeof e.content === "string" ? e.content : "")).join("");
    return { ok: true, value: { ...final, content } };
  }
  return { ok: false, reason: "no complete stream event with timings", excerpt: text.slice(-200) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
