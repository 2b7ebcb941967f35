// Hostile input for every llama.cpp output parser: arbitrary text, invalid UTF-8, truncated captures,
// captures whose figures became nan/inf/huge, huge lines, corrupted JSON. Whatever comes in, a parser
// returns a well-formed ParseResult (or throws a SpecgridError), every number it reports is finite, and
// every number it reports was printed in the input (or is one of the documented derivations of printed
// numbers, checked exactly): a parser never invents a figure.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpecgridError } from "../../core/errors.js";
import {
  cleanLog,
  detectErrors,
  parseBatchedBench,
  parseBench,
  parseCompletion,
  parseParallel,
  parseServerCompletion,
  parseServerLog,
  parseServerMetrics,
  parseServerProps,
  parseServerSlots,
  parseSpeculative,
  type ParseResult,
} from "../../core/parsers/index.js";
import { secondsToMs } from "../../core/parsers/read-number.js";

const ROOT = path.join(import.meta.dirname, "..", "fixtures", "llama-cpp");
// Enough runs to hit each mutation kind many times per parser, few enough for the file to stay fast.
const RUNS = Number(process.env.FC_RUNS ?? 40);
const PARAMS = { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 20261128), endOnFailure: true };

function capturesOf(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => readFileSync(path.join(dir, f), "utf8"));
}

const SERVER = path.join(ROOT, "server");
const seeds = {
  speculative: capturesOf(ROOT, /^llama-speculative.*\.stderr$/),
  completion: [
    ...capturesOf(ROOT, /^llama-(completion|simple).*\.stderr$/),
    ...capturesOf(ROOT, /^llama-cli.*\.stdout$/),
  ],
  parallel: capturesOf(ROOT, /^llama-parallel.*\.stderr$/),
  benchJson: capturesOf(ROOT, /^llama-bench-.*-json.*\.stdout$/).filter((t) => t.trim().startsWith("[")),
  benchJsonl: capturesOf(ROOT, /^llama-bench-.*jsonl\.stdout$/),
  batched: capturesOf(ROOT, /^llama-batched-bench.*\.stdout$/),
  completionJson: [...capturesOf(SERVER, /-cmpl.*\.json$/), ...capturesOf(SERVER, /\.sse$/)],
  props: capturesOf(SERVER, /-props\.json$/),
  slots: capturesOf(SERVER, /-slots.*\.json$/),
  metrics: capturesOf(SERVER, /-metrics\.txt$/),
  serverLog: capturesOf(SERVER, /\.stderr$/),
};

// ---- hostile inputs --------------------------------------------------------------------------------

/** What a figure can turn into: C++ nan/inf spellings, numbers past float range, negative zero, junk. */
const hostileFigure = fc.constantFrom(
  "nan",
  "-nan",
  "inf",
  "-inf",
  "NaN",
  "Infinity",
  "1e999",
  "9".repeat(400),
  "4294967296",
  "99999999999999999999",
  "-0",
  "0",
  "0.000",
  "-1",
  "1.5e308",
  "",
  "\u0000",
  "\uFFFD",
);

const NUMBER_TOKEN = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

function replaceFigures(text: string, picks: [number, string][]): string {
  const tokens = [...text.matchAll(NUMBER_TOKEN)];
  if (tokens.length === 0) return text;
  const replacement = new Map<number, string>();
  for (const [i, figure] of picks) replacement.set(i % tokens.length, figure);
  let out = "";
  let at = 0;
  tokens.forEach((t, i) => {
    const r = replacement.get(i);
    if (r === undefined) return;
    out += text.slice(at, t.index) + r;
    at = t.index + t[0].length;
  });
  return out + text.slice(at);
}

/**
 * Lines long enough (64 kB) that a quadratic or backtracking regex would take seconds, each a shape the
 * parsers look at. (A 120 kB line of backspaces took cleanLog ~17 s before it was made linear.)
 */
const HUGE = 64 * 1024;
const hugeLine = fc.constantFrom(
  "x".repeat(HUGE),
  "1 ".repeat(HUGE / 2),
  " ".repeat(HUGE) + "t/s",
  "a".repeat(HUGE / 2) + "\b".repeat(HUGE / 2),
  "encoded " + "9".repeat(HUGE / 2) + " tokens in " + "1".repeat(HUGE / 2) + " seconds, speed: x",
  "statistics draft: #calls(b,g,a) = " + "1 ".repeat(HUGE / 2),
  "| " + "1 | ".repeat(HUGE / 4),
  "Client " + "0, seq 0/ 0, prompt ".repeat(HUGE / 20),
  'llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="' + "9".repeat(HUGE) + '"} 1',
  'llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="4000000000"} 1',
  "data: " + "{".repeat(HUGE),
  "[" + "[".repeat(HUGE),
  "\x1b[" + "1;".repeat(HUGE / 2) + "m",
  "\r".repeat(HUGE / 4),
);

/** Invalid UTF-8 as a reader would see it: bytes decoded leniently (U+FFFD) or as latin1. */
const invalidUtf8 = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.boolean())
  .map(([bytes, latin1]) =>
    Buffer.from([0xc3, 0x28, 0xf0, 0x28, 0x8c, ...bytes]).toString(latin1 ? "latin1" : "utf8"),
  );

function hostileText(seedTexts: string[]): fc.Arbitrary<string> {
  const seed = fc.constantFrom(...seedTexts);
  return fc.oneof(
    fc.string({ unit: "binary", maxLength: 500 }),
    invalidUtf8,
    // truncated capture: a run killed mid-write
    seed.chain((s) => fc.nat({ max: s.length }).map((n) => s.slice(0, n))),
    // figures turned into nan/inf/huge/junk
    seed.chain((s) =>
      fc
        .array(fc.tuple(fc.nat(), hostileFigure), { minLength: 1, maxLength: 40 })
        .map((picks) => replaceFigures(s, picks)),
    ),
    // a huge line spliced in somewhere
    seed.chain((s) =>
      fc
        .tuple(fc.nat({ max: s.length }), hugeLine)
        .map(([at, line]) => `${s.slice(0, at)}\n${line}\n${s.slice(at)}`),
    ),
    // invalid bytes and lone surrogates spliced into the middle of a capture
    seed.chain((s) =>
      fc
        .tuple(fc.nat({ max: s.length }), invalidUtf8, fc.constantFrom("\uD800", "\uDFFF", ""))
        .map(([at, bad, lone]) => s.slice(0, at) + bad + lone + s.slice(at)),
    ),
  );
}

/** Server responses as already-parsed JSON whose leaves were replaced with hostile values. */
function hostileJson(seedTexts: string[]): fc.Arbitrary<unknown> {
  const hostileLeaf = fc.oneof(
    fc.double(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, 2 ** 53 + 1),
    fc.string({ maxLength: 20 }),
    fc.constant(null),
    fc.array(fc.double(), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.double(), { maxKeys: 3 }),
  );
  return fc
    .tuple(
      fc.constantFrom(...seedTexts),
      fc.array(fc.tuple(fc.nat(), hostileLeaf), { minLength: 1, maxLength: 12 }),
    )
    .map(([text, picks]) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return text; // the SSE capture stays text
      }
      const slots: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
      const walk = (v: unknown): void => {
        if (typeof v !== "object" || v === null) return;
        for (const [k, item] of Object.entries(v)) {
          slots.push({ holder: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
          walk(item);
        }
      };
      walk(value);
      for (const [i, leaf] of picks) {
        const slot = slots[i % Math.max(1, slots.length)];
        if (slot) (slot.holder as Record<string | number, unknown>)[slot.key] = leaf;
      }
      return value;
    });
}

// ---- what every result must satisfy ----------------------------------------------------------------

/** Every number printed in the input, as a parser would read it (sign included either way). */
function printedNumbers(input: string): Set<number> {
  const found = new Set<number>();
  for (const [token] of input.matchAll(NUMBER_TOKEN)) {
    const n = Number(token);
    found.add(n);
    found.add(-n);
  }
  return found;
}

type Derivation = (
  key: string,
  value: number,
  printed: Set<number>,
  metrics: unknown,
  at: string[],
) => boolean;

const none: Derivation = () => false;

function walkNumbers(value: unknown, at: string[], visit: (n: number, at: string[]) => void): void {
  if (typeof value === "number") visit(value, at);
  else if (Array.isArray(value)) value.forEach((v, i) => walkNumbers(v, [...at, String(i)], visit));
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      // llama-bench's `raw` row is the document as printed, kept untouched for fields we do not name
      if (k === "raw") continue;
      walkNumbers(v, [...at, k], visit);
    }
  }
}

function getPath(root: unknown, at: string[]): unknown {
  return at.reduce<unknown>(
    (v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined),
    root,
  );
}

function expectSane(run: () => ParseResult<object>, input: string, derived: Derivation = none): void {
  let result: ParseResult<object>;
  try {
    result = run();
  } catch (err) {
    // a typed refusal is allowed; anything else is a crash
    expect(err).toBeInstanceOf(SpecgridError);
    return;
  }
  expect(typeof result.truncated).toBe("boolean");
  expect(Array.isArray(result.missing)).toBe(true);
  for (const m of result.missing) expect(typeof m).toBe("string");
  for (const e of result.errors) {
    expect(["out-of-memory", "vocab-mismatch", "removed-flag", "model-load", "other"]).toContain(e.kind);
    expect(typeof e.message).toBe("string");
    expect(typeof e.excerpt).toBe("string");
  }
  const printed = printedNumbers(input);
  walkNumbers(result.metrics, [], (n, at) => {
    const where = at.join(".");
    expect(Number.isFinite(n), `${where} = ${n} is not finite`).toBe(true);
    const key = at.at(-1) ?? "";
    const ok = printed.has(n) || derived(key, n, printed, result.metrics, at);
    expect(ok, `${where} = ${n} does not appear in the input`).toBe(true);
  });
}

const fromSeconds = (n: number, printed: Set<number>): boolean =>
  [...printed].some((s) => secondsToMs(s) === n);

const speculativeDerived: Derivation = (key, n, printed, metrics, at) => {
  if (key === "promptMs" || key === "decodeMs") return fromSeconds(n, printed);
  // `accept = 62.500%` becomes 0.625, keeping the printed three decimals
  if (key === "acceptRate") return [...printed].some((p) => Math.round(p * 1e3) / 1e5 === n);
  if (key === "targetMs" || key === "draftMs") {
    const block = getPath(metrics, [...at.slice(0, -1), key === "targetMs" ? "target" : "draft"]) as
      { promptEvalMs?: number; evalMs?: number } | undefined;
    if (block?.promptEvalMs === undefined || block.evalMs === undefined) return false;
    return Math.round((block.promptEvalMs + block.evalMs) * 1e6) / 1e6 === n;
  }
  return false;
};

const completionDerived: Derivation = (key, n, printed) => {
  // llama-completion counts the token the prompt batch produced: eval runs + 1
  if (key === "nDecoded") return printed.has(n - 1);
  if (key === "decodeMs") return fromSeconds(n, printed);
  return false;
};

const serverCompletionDerived: Derivation = (key, n, _printed, metrics) => {
  if (key !== "acceptRate") return false;
  const m = metrics as { nAccept?: number; nDrafted?: number };
  return m.nAccept !== undefined && m.nDrafted !== undefined && m.nAccept / m.nDrafted === n;
};

const slotsDerived: Derivation = (key, n, _printed, metrics, at) => {
  const slots = (metrics as { slots: unknown[] }).slots;
  // a slot without an id is numbered by its position in the array
  if (key === "id" && at[0] === "slots") return Number(at[1]) === n;
  if (key === "busySlots") return Number.isInteger(n) && n >= 0 && n <= slots.length;
  return false;
};

function jsonText(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "");
}

describe("llama.cpp output parsers on hostile input", () => {
  it("parseSpeculative", () => {
    fc.assert(
      fc.property(hostileText(seeds.speculative), hostileText(seeds.speculative), (stdout, stderr) => {
        expectSane(() => parseSpeculative(stdout, stderr), stderr, speculativeDerived);
      }),
      PARAMS,
    );
  });

  it("parseCompletion", () => {
    fc.assert(
      fc.property(hostileText(seeds.completion), hostileText(seeds.completion), (stdout, stderr) => {
        expectSane(() => parseCompletion(stdout, stderr), `${stdout}\n${stderr}`, completionDerived);
      }),
      PARAMS,
    );
  });

  it("parseParallel", () => {
    fc.assert(
      fc.property(hostileText(seeds.parallel), (stderr) => {
        expectSane(() => parseParallel("", stderr), stderr);
      }),
      PARAMS,
    );
  });

  it("parseBench (json and jsonl)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText(seeds.benchJson).map((t) => [t, "json"] as const),
          hostileText(seeds.benchJsonl).map((t) => [t, "jsonl"] as const),
        ),
        hostileText(seeds.speculative),
        ([stdout, format], stderr) => {
          expectSane(() => parseBench(stdout, format, stderr), stdout);
        },
      ),
      PARAMS,
    );
  });

  it("parseBatchedBench", () => {
    fc.assert(
      fc.property(hostileText(seeds.batched), fc.option(fc.nat({ max: 100 })), (stdout, expectedRows) => {
        const options = expectedRows === null ? {} : { expectedRows };
        expectSane(() => parseBatchedBench(stdout, options), stdout);
      }),
      PARAMS,
    );
  });

  it("parseServerCompletion (text and parsed JSON)", () => {
    fc.assert(
      fc.property(fc.oneof(hostileText(seeds.completionJson), hostileJson(seeds.completionJson)), (body) => {
        expectSane(() => parseServerCompletion(body), jsonText(body), serverCompletionDerived);
      }),
      PARAMS,
    );
  });

  it("parseServerProps (text and parsed JSON)", () => {
    fc.assert(
      fc.property(fc.oneof(hostileText(seeds.props), hostileJson(seeds.props)), (body) => {
        expectSane(() => parseServerProps(body), jsonText(body));
      }),
      PARAMS,
    );
  });

  it("parseServerSlots (text and parsed JSON)", () => {
    fc.assert(
      fc.property(fc.oneof(hostileText(seeds.slots), hostileJson(seeds.slots)), (body) => {
        expectSane(() => parseServerSlots(body), jsonText(body), slotsDerived);
      }),
      PARAMS,
    );
  });

  it("parseServerMetrics", () => {
    fc.assert(
      fc.property(hostileText(seeds.metrics), (text) => {
        expectSane(() => parseServerMetrics(text), text);
      }),
      PARAMS,
    );
  });

  it("parseServerLog", () => {
    fc.assert(
      fc.property(hostileText(seeds.serverLog), (stderr) => {
        expectSane(() => parseServerLog(stderr), stderr);
      }),
      PARAMS,
    );
  });

  it("parsers accept arbitrary JSON values without crashing", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = jsonText(value);
        expectSane(() => parseServerCompletion(value), text, serverCompletionDerived);
        expectSane(() => parseServerProps(value), text);
        expectSane(() => parseServerSlots(value), text, slotsDerived);
      }),
      PARAMS,
    );
  });

  it("cleanLog only removes decoration: no CR, no ANSI, never longer than its input", () => {
    fc.assert(
      fc.property(hostileText([...seeds.parallel, ...seeds.speculative.slice(0, 3)]), (text) => {
        const clean = cleanLog(text);
        expect(clean.length).toBeLessThanOrEqual(text.length);
        expect(clean).not.toMatch(/\r/);
        // eslint-disable-next-line no-control-regex -- ANSI escapes are control characters
        expect(clean).not.toMatch(/\x1b\[[0-9;?]*[A-Za-z]/);
      }),
      PARAMS,
    );
  });

  it("cleanLog erases backspaces exactly as repeated erasure would (one pass, same text)", () => {
    const reference = (text: string): string => {
      let out = text;
      let previous: string;
      do {
        previous = out;
        // eslint-disable-next-line no-control-regex -- backspace is the control character erased
        out = out.replace(/[^\n\x08]\x08/g, "");
      } while (out !== previous);
      return out;
    };
    const spinner = fc.string({ unit: fc.constantFrom("a", "b", "\b", "\n", "|", "-"), maxLength: 200 });
    fc.assert(
      fc.property(spinner, (text) => {
        expect(cleanLog(text)).toBe(reference(text));
      }),
      { ...PARAMS, numRuns: 300 },
    );
  });

  it("detectErrors reports known kinds with excerpts taken from the input", () => {
    fc.assert(
      fc.property(hostileText([...seeds.speculative, ...seeds.serverLog]), (text) => {
        const clean = cleanLog(text);
        const found = detectErrors(text);
        expect(new Set(found.map((e) => e.kind)).size).toBe(found.length);
        for (const e of found) {
          expect(["out-of-memory", "vocab-mismatch", "removed-flag", "model-load", "other"]).toContain(
            e.kind,
          );
          for (const line of e.excerpt.split("\n")) expect(clean).toContain(line);
        }
      }),
      PARAMS,
    );
  });
});

// Each bug the properties above found, pinned as a plain case so it cannot come back unnoticed.
describe("hostile-input regressions", () => {
  const past = "9".repeat(400); // parses to Infinity: not a number a parser may report
  const stats = (calls: string): string =>
    `statistics draft: #calls(b,g,a) = ${calls} 5 5, #gen drafts = 5, #acc drafts = 4, #gen tokens = 20, #acc tokens = 12`;

  it("drafter statistics with an unreadable counter are dropped, not reported as 0", () => {
    expect(parseSpeculative("", stats("1")).metrics.drafterStats?.callsBegin).toBe(1);
    expect(parseSpeculative("", stats(past)).metrics.drafterStats).toBeUndefined();
  });

  it("a llama-parallel client line with an unreadable count is skipped", () => {
    const line = (id: string): string =>
      `Client ${id}, seq   0/  8, prompt 1138 t, response   32 t, time  7.42 s, speed 157.65 t/s`;
    expect(parseParallel("", line("0")).metrics.clients).toHaveLength(1);
    expect(parseParallel("", line(past)).metrics.clients).toEqual([]);
  });

  it("a batched-bench row without a readable PP/TG/B is skipped, never given 0", () => {
    const md = (pp: string): string =>
      `|  ${pp} |  32 |  1 |  96 | 0.310 | 206.50 | 1.123 | 28.49 | 1.433 | 66.99 |`;
    expect(parseBatchedBench(md("64")).metrics.rows[0]?.pp).toBe(64);
    expect(parseBatchedBench(md(past)).metrics.rows).toEqual([]);
    const jsonl = '{"n_kv_max": 4096, "tg": 32, "pl": 1, "t": 1.4, "speed": 66.9}';
    const parsed = parseBatchedBench(jsonl);
    expect(parsed.metrics.rows).toEqual([]);
    expect(parsed.missing).toContain("rows");
  });

  it("llama-server log lines with unreadable slot/task ids name no task", () => {
    const line = (slot: string): string =>
      `slot print_timing: id  ${slot} | task 1 |        eval time =   10195.47 ms /    64 tokens (  161.83 ms per token,     6.18 tokens per second)`;
    expect(parseServerLog(line("0")).metrics.tasks).toHaveLength(1);
    expect(parseServerLog(line(past)).metrics.tasks).toEqual([]);
  });

  it("/props with a build number past float range reports no build number", () => {
    const props = (n: string): unknown => ({ build_info: `b${n}-3f545becc` });
    expect(parseServerProps(props("10587")).metrics.buildNumber).toBe(10587);
    expect(parseServerProps(props(past)).metrics.buildNumber).toBeUndefined();
  });

  it("an acceptance rate needs whole draft counts (a denormal draft_n gave Infinity)", () => {
    const body = (draftN: number): unknown => ({ timings: { draft_n: draftN, draft_n_accepted: 18 } });
    expect(parseServerCompletion(body(24)).metrics.acceptRate).toBe(0.75);
    expect(parseServerCompletion(body(8e-323)).metrics.acceptRate).toBeUndefined();
  });

  it("a server-log figure is read whole or not at all (1.5e308 is not 1.5)", () => {
    const line = (len: string): string =>
      `slot print_timing: id  0 | task 0 | draft acceptance = 0.51220 (   42 accepted /    82 generated), mean len =  ${len}`;
    expect(parseServerLog(line("3.00")).metrics.tasks[0]?.meanAcceptLen).toBe(3);
    expect(parseServerLog(line("1.5e308")).metrics.tasks).toEqual([]);
  });

  it("completion token ids must all be finite", () => {
    expect(parseServerCompletion('{"tokens": [1, 2]}').metrics.tokens).toEqual([1, 2]);
    expect(parseServerCompletion('{"tokens": [1, 1e999]}').metrics.tokens).toBeUndefined();
  });

  it("a per-position metric at position 4e9 allocates nothing and fills no holes", () => {
    const name = "llamacpp:spec_decode_num_accepted_tokens_per_pos_total";
    const text = `${name}{position="0"} 5\n${name}{position="4000000000"} 1\n`;
    expect(parseServerMetrics(text).metrics.specAcceptedByPositionTotal).toBeUndefined();
    expect(parseServerMetrics(`${name}{position="0"} 5\n${name}{position="1"} 2\n`).metrics).toMatchObject({
      specAcceptedByPositionTotal: [5, 2],
    });
  });

  it("a long spinner of backspaces is erased in full", () => {
    expect(cleanLog(`${"a".repeat(120_000)}${"\b".repeat(120_000)}done`)).toBe("done");
  });
});
