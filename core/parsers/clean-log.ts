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

/**
 * Apply backspaces: each one erases the character before it, never across a line break. Linear: one pass
 * per line that has a backspace, over UTF-16 units in a typed array (repeating a regex replace was
 * quadratic, a 120 kB line took seconds; an array of one-character strings took 2.4 GB for 30 MB).
 */
function eraseBackspaces(text: string): string {
  if (!text.includes(BACKSPACE)) return text;
  return text
    .split("\n")
    .map((line) => (line.includes(BACKSPACE) ? eraseInLine(line) : line))
    .join("\n");
}

const BS = 0x08;
const isLow = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff;
const isHigh = (u: number): boolean => u >= 0xd800 && u <= 0xdbff;

function eraseInLine(line: string): string {
  const out = new Uint16Array(line.length);
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    const u = line.charCodeAt(i);
    // a backspace with nothing (or only backspaces) before it on the line stays, as it did in the terminal
    if (u === BS && n > 0 && out[n - 1] !== BS) {
      // erase one character: both halves of a surrogate pair
      n -= n >= 2 && isLow(out[n - 1]!) && isHigh(out[n - 2]!) ? 2 : 1;
    } else out[n++] = u;
  }
  let s = "";
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...out.subarray(i, Math.min(n, i + 8192)));
  return s;
}
