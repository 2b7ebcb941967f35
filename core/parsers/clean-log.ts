// llama.cpp's common logger decorates stderr: an optional `M.SS.mmm.uuu` timestamp and a level letter
// before every leveled line, ANSI colours around them (a TTY, --log-colors on, or llama-parallel's
// hard-coded escapes), and sometimes a second prefix in the middle of a line when one LOG_ERR call
// continues another. Parsers match on the bare text, so this runs first.

// eslint-disable-next-line no-control-regex -- ANSI escapes are control characters by definition
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const LINE_PREFIX = /^(?:\d+\.\d{2}\.\d{3}\.\d{3} )?(?:[IWED] )?/;
// Only with a timestamp: a bare " E " inside a sentence is too common to strip.
const INNER_PREFIX = / \d+\.\d{2}\.\d{3}\.\d{3} [IWED] /g;
// llama-cli draws a spinner with backspaces: "|\b-\b\\\b".
const BACKSPACE = "\b";

/** Strip timestamp/level prefixes and ANSI colours, and normalise line endings to `\n`. */
export function cleanLog(text: string): string {
  const out = eraseBackspaces(text.replace(/\r\n?/g, "\n").replace(ANSI, ""));
  return out
    .split("\n")
    .map((line) => line.replace(LINE_PREFIX, "").replace(INNER_PREFIX, " "))
    .join("\n");
}

/** The level letter of a prefixed log line (`I`, `W`, `E`, `D`), read before the prefix is stripped. */
export function logLevelOf(rawLine: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- see ANSI above
  const bare = rawLine.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  return /^\d+\.\d{2}\.\d{3}\.\d{3} ([IWED]) /.exec(bare)?.[1];
}

/**
 * Apply backspaces: each one erases the character before it, never across a line break. One pass with a
 * stack; repeating a regex replace until nothing changes was quadratic (a 120 kB line took seconds).
 */
function eraseBackspaces(text: string): string {
  if (!text.includes(BACKSPACE)) return text;
  const kept: string[] = [];
  for (const ch of text) {
    const last = kept.at(-1);
    if (ch === BACKSPACE && last !== undefined && last !== "\n" && last !== BACKSPACE) kept.pop();
    else kept.push(ch);
  }
  return kept.join("");
}
