// Table-driven cases for what the recorded captures do not show: nan/inf figures, colour and CRLF
// decoration, every error text we classify, server bodies with errors or without drafting, cut
// JSON. The captures themselves are covered in parsers-fixtures.test.ts.

import { describe, expect, it } from "vitest";
import {
  cleanLog,
  detectBenchFormat,
  detectErrors,
  detectServerKind,
  parseBatchedBench,
  parseBench,
  parseServerCompletion,
  parseServerMetrics,
  parseServerSlots,
  parseSpeculative,
} from "../../core/parsers/index.js";
import { readNumber } from "../../core/parsers/read-number.js";

describe("cleanLog", () => {
  it.each([
    ["timestamp and level", "0.00.809.460 I accept    = 55.556%", "accept    = 55.556%"],
    ["minutes past 9", "12.05.025.040 W something", "something"],
    ["no prefix", "accept    = 55.556%", "accept    = 55.556%"],
    [
      "coloured prefix",
      "\x1b[34m0.00.016.193\x1b[0m \x1b[32mI \x1b[0mcmn          init: n_threads = 2",
      "cmn          init: n_threads = 2",
    ],
    ["CRLF", "0.00.000.001 I a\r\n0.00.000.002 I b\r\n", "a\nb\n"],
    [
      "a second prefix inside the line",
      "0.00.325.033 E main: vocab must closely match target model to use speculation but 0.00.325.044 E target vocab size 735",
      "main: vocab must closely match target model to use speculation but target vocab size 735",
    ],
    ["spinner backspaces", "Loading model... |\b-\b\\\b \bdone", "Loading model... done"],
    [
      "llama-parallel's hard-coded colours",
      "0.07.550.714 I \x1b[31mClient   0, seq 0\x1b[0m ",
      "Client   0, seq 0 ",
    ],
  ])("%s", (_name, input, expected) => {
    expect(cleanLog(input)).toBe(expected);
  });
});

describe("readNumber", () => {
  it.each([
    ["55.556", 55.556],
    ["-1", -1],
    ["0", 0],
    ["-nan", undefined],
    ["nan", undefined],
    ["inf", undefined],
    ["-inf", undefined],
    ["", undefined],
    ["12abc", undefined],
    [undefined, undefined],
  ])("%j → %j", (input, expected) => {
    expect(readNumber(input)).toBe(expected);
  });
});

describe("detectErrors", () => {
  it.each([
    [
      "0.01.1 E ggml_backend_cuda_buffer_type_alloc_buffer: allocating 9866.00 MiB on device 1: cudaMalloc failed: out of memory",
      ["out-of-memory"],
    ],
    ["alloc_tensor_range: failed to allocate CUDA0 buffer of size 151851674624", ["out-of-memory"]],
    [
      "llama_model_load: error loading model: unable to allocate CUDA0 buffer\nllama_model_load_from_file_impl: failed to load model",
      ["out-of-memory", "model-load"],
    ],
    ["CUDA error: out of memory\n  current device: 0", ["out-of-memory"]],
    ["0.00.570.199 E spec common_specu: the target and draft vocabs are not compatible", ["vocab-mismatch"]],
    [
      "0.00.325.033 E main: draft model vocab must closely match target model to use speculation but 0.00.325.044 E target vocab size 735 does not match draft vocab size 535",
      ["vocab-mismatch"],
    ],
    [
      'error while handling argument "--draft-max": the argument has been removed. use --spec-draft-n-max',
      ["removed-flag"],
    ],
    ["error: invalid argument: -cb", ["removed-flag"]],
    ["error: invalid parameter for argument: --version", ["removed-flag"]],
    ["llama_bench: error: failed to load model '/models/x.gguf'", ["model-load"]],
    ["gguf_init_from_file_impl: failed to read magic", ["model-load"]],
    [
      "llama.cpp/src/llama-context.cpp:2189: GGML_ASSERT(n_outputs_max <= cparams.n_outputs_max) failed",
      ["other"],
    ],
    ["terminate called after throwing an instance of 'std::runtime_error'\n  what():  boom", ["other"]],
    ["0.00.086.675 E failed to initialize speculative decoding", ["other"]],
    ["0.00.006.262 E main: --model-draft is required", ["other"]],
    ["warning: no usable GPU found, --gpu-layers option will be ignored", []],
    ["ggml_cuda_host_malloc: failed to allocate 1900.00 MiB of pinned memory: invalid argument", []],
    [
      "E ggml_backend_cuda_buffer_type_alloc_buffer: allocating 51748.72 MiB on device 1: cudaMalloc failed: out of memory\nE graph_reserve: failed to allocate compute buffers\nW sched_reserve: compute buffer allocation failed, retrying without pipeline parallelism",
      [],
    ],
    ["0.00.809.460 I accept    = 55.556%", []],
  ])("%s", (stderr, kinds) => {
    const errors = detectErrors(stderr);
    expect(errors.map((e) => e.kind)).toEqual(kinds);
    for (const e of errors)
      expect(stderr.replace(/\r/g, "")).toContain(e.excerpt.split("\n")[0]!.trim().slice(-20));
  });

  it("names the removed flag and the replacement in its message", () => {
    const [e] = detectErrors(
      'error while handling argument "--draft-min": the argument has been removed. use --spec-draft-n-min',
    );
    expect(e?.message).toBe("flag --draft-min was removed from this llama.cpp build: use --spec-draft-n-min");
  });
});

const SPEC_TAIL = (accept: string, decodeSpeed: string) =>
  [
    "0.00.809.397 I encoded   46 tokens in    0.049 seconds, speed:  947.633 t/s",
    `0.00.809.412 I decoded   33 tokens in    0.113 seconds, speed: ${decodeSpeed} t/s`,
    "0.00.809.428 I n_draft   = 0",
    "0.00.809.436 I n_predict = 33",
    "0.00.809.443 I n_drafted = 0",
    "0.00.809.451 I n_accept  = 0",
    `0.00.809.460 I accept    = ${accept}%`,
    "0.00.809.475 I draft:",
    "",
    "0.04.688.009 I spec common_specu: statistics     draft-simple: #calls(b,g,a) =    1     47     47, #gen drafts =     47, #acc drafts =    15, #gen tokens =    183, #acc tokens =    18, #mean acc len = 1.38, #acc rate/pos = (0.319, 0.064), dur(b,g,a) = 0.002, 1991.520, 0.027 ms",
    "0.00.809.529 I target:",
    "",
    "0.00.809.562 I common_perf_print:        load time =      20.62 ms",
    "0.00.809.582 I common_perf_print:        eval time =       0.00 ms /     1 runs   (    0.00 ms per token,      inf tokens per second)",
    "0.00.809.607 I common_perf_print:    graphs reused =         19",
  ].join("\n");

describe("parseSpeculative", () => {
  it.each([
    ["-nan", "292.297", ["acceptRate"]],
    ["nan", "inf", ["decodeTps", "acceptRate"]],
    ["0.000", "292.297", []],
  ])(
    "accept %s%%, decode speed %s → missing %j, never 0 for a figure not printed",
    (accept, speed, missing) => {
      const r = parseSpeculative("", SPEC_TAIL(accept, speed));
      expect(r.missing).toEqual(missing);
      expect(r.truncated).toBe(false);
      for (const key of missing) expect(r.metrics).not.toHaveProperty(key);
    },
  );

  it("reads the drafter statistics printed at -lv 4", () => {
    const r = parseSpeculative("", SPEC_TAIL("55.556", "115.995"));
    expect(r.metrics.drafterStats).toEqual({
      implementation: "draft-simple",
      callsBegin: 1,
      callsGenerate: 47,
      callsAccept: 47,
      genDrafts: 47,
      accDrafts: 15,
      genTokens: 183,
      accTokens: 18,
      meanAccLen: 1.38,
      accRateByPosition: [0.319, 0.064],
      durBeginMs: 0.002,
      durGenerateMs: 1991.52,
      durAcceptMs: 0.027,
    });
    expect(r.metrics.acceptByPosition).toEqual([0.319, 0.064]);
  });

  it("is truncated with nothing printed and no error, and not truncated when an error explains it", () => {
    expect(parseSpeculative("", "").truncated).toBe(true);
    expect(parseSpeculative("", "error: invalid argument: --bogus").truncated).toBe(false);
  });
});

describe("parseServerCompletion", () => {
  const timings = {
    prompt_n: 46,
    prompt_ms: 9.9,
    prompt_per_second: 4647.8,
    predicted_n: 64,
    predicted_ms: 176.3,
    predicted_per_second: 357.2,
  };

  it("without draft_n: speculation not engaged, draft figures absent but not missing", () => {
    const r = parseServerCompletion({ stop_type: "limit", timings });
    expect(r.metrics.speculationEngaged).toBe(false);
    expect(r.metrics).not.toHaveProperty("nDrafted");
    expect(r.missing).toEqual([]);
  });

  it.each([
    ["limit", false],
    ["length", false],
    ["eos", true],
    ["word", true],
  ])("stop_type %s → stoppedEarly %s", (stopType, early) => {
    expect(parseServerCompletion({ stop_type: stopType, timings }).metrics.stoppedEarly).toBe(early);
  });

  it("reports an error body", () => {
    const r = parseServerCompletion({
      error: {
        code: 400,
        message: "the request exceeds the available context size",
        type: "invalid_request_error",
      },
    });
    expect(r.errors.map((e) => e.kind)).toEqual(["other"]);
    expect(r.errors[0]?.message).toContain("exceeds the available context size");
    expect(r.missing).toContain("nDecoded");
  });

  it.each([
    ["cut JSON", '{"content":"x","timings":{"predicted_n":'],
    [
      "stream without a final event",
      'data: {"content":" a","stop":false}\n\ndata: {"content":" b","stop":false}\n',
    ],
  ])("%s is truncated", (_name, text) => {
    const r = parseServerCompletion(text);
    expect(r.truncated).toBe(true);
    expect(r.metrics.speculationEngaged).toBe(false);
  });

  it("joins the text of a stream and takes timings from its final event", () => {
    const sse = [
      'data: {"content":" a","stop":false}',
      'data: {"content":" b","stop":false}',
      `data: ${JSON.stringify({ content: "", stop: true, stop_type: "limit", timings: { ...timings, draft_n: 10, draft_n_accepted: 4 } })}`,
    ].join("\n\n");
    const r = parseServerCompletion(sse);
    expect(r.metrics).toMatchObject({
      text: " a b",
      nDrafted: 10,
      nAccept: 4,
      acceptRate: 0.4,
      speculationEngaged: true,
    });
  });
});

describe("parseServerSlots", () => {
  it("turns the --no-slots 501 body into an error", () => {
    const r = parseServerSlots(
      '{"error":{"code":501,"message":"This server does not support slots endpoint. Start it with `--slots`","type":"not_supported_error"}}',
    );
    expect(r.errors[0]?.message).toContain("--slots");
    expect(r.metrics.speculationEngaged).toBe(false);
    expect(r.missing).toEqual(["slots"]);
  });

  it("is engaged only when every slot drafts", () => {
    const r = parseServerSlots([
      { id: 0, speculative: true, is_processing: true },
      { id: 1, speculative: false, is_processing: false },
    ]);
    expect(r.metrics.speculationEngaged).toBe(false);
    expect(r.metrics.busySlots).toBe(1);
  });
});

describe("parseServerMetrics", () => {
  it("leaves out nan samples and a per-position series with a hole", () => {
    const r = parseServerMetrics(
      [
        "llamacpp:prompt_tokens_total 5",
        "llamacpp:tokens_predicted_total 7",
        "llamacpp:tokens_predicted_seconds_total nan",
        'llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="0"} 3',
        'llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="2"} 1',
      ].join("\n"),
    );
    expect(r.metrics.tokensPredictedSecondsTotal).toBeUndefined();
    expect(r.missing).toEqual(["tokensPredictedSecondsTotal"]);
    expect(r.metrics.specAcceptedByPositionTotal).toBeUndefined();
  });
});

describe("parseBench and parseBatchedBench", () => {
  const row = {
    build_commit: "abc",
    build_number: 1,
    model_type: "m",
    backends: "CUDA",
    n_prompt: 0,
    n_gen: 32,
    n_depth: 0,
    avg_ts: 10.5,
    stddev_ts: 0.5,
  };

  it("reads bare nan as a missing figure, not a number", () => {
    const r = parseBench(JSON.stringify([row]).replace("10.5", "nan"), "json");
    expect(r.metrics.rows[0]?.avgTs).toBeUndefined();
    expect(r.missing).toEqual(["rows[0].avgTs"]);
    expect(r.truncated).toBe(false);
  });

  it.each([
    ["json", "[\n"],
    ["json", ""],
    ["jsonl", `${JSON.stringify(row)}\n{"build_commit": "ab`],
  ] as const)("%s output %j is truncated", (format, stdout) => {
    expect(parseBench(stdout, format).truncated).toBe(true);
  });

  it("flags a jsonl batched-bench line cut mid-way", () => {
    const r = parseBatchedBench('{"pp": 64, "tg": 32, "pl": 1, "n_kv": 96, "t_pp": 0.07');
    expect(r.truncated).toBe(true);
    expect(r.missing).toEqual(["rows"]);
  });
});

describe("format recognition", () => {
  it.each([
    ["[{}]", "slots"],
    ["# HELP llamacpp:prompt_tokens_total x\nllamacpp:prompt_tokens_total 1", "metrics"],
    ['{"default_generation_settings":{},"total_slots":1}', "props"],
    ['{"content":"x","timings":{}}', "completion"],
    ['data: {"content":"x"}', "completion"],
  ])("server body %j → %s", (body, kind) => {
    expect(detectServerKind(body)).toBe(kind);
  });

  it.each([
    ["[\n  {", "json"],
    ['{"a":1}\n', "jsonl"],
  ])("bench %j → %s", (stdout, format) => {
    expect(detectBenchFormat(stdout)).toBe(format);
  });
});

describe("older builds", () => {
  // before common_perf_print, the target's perf block carried libllama's own prefix
  const oldTarget = [
    "encoded   46 tokens in    0.049 seconds, speed:  947.633 t/s",
    "decoded   66 tokens in    0.569 seconds, speed:  115.995 t/s",
    "n_draft   = 16",
    "n_predict = 66",
    "n_drafted = 81",
    "n_accept  = 45",
    "accept    = 55.556%",
    "draft:",
    "llama_perf_context_print:        load time =     173.75 ms",
    "llama_perf_context_print:    graphs reused =         95",
    "target:",
    "llama_perf_context_print:        load time =      20.62 ms",
    "llama_perf_context_print: prompt eval time =     343.01 ms /   149 tokens (    2.30 ms per token,   434.39 tokens per second)",
    "llama_perf_context_print:    graphs reused =         19",
  ];

  it("reads a target block printed by llama_perf_context_print", () => {
    const r = parseSpeculative("", oldTarget.join("\n"));
    expect(r.truncated).toBe(false);
    expect(r.metrics.loadMs).toBe(20.62);
    expect(r.metrics.draft?.loadMs).toBe(173.75);
  });

  it("does not take the draft block's closing line for the target's", () => {
    const r = parseSpeculative("", oldTarget.slice(0, -1).join("\n"));
    expect(r.truncated).toBe(true);
  });
});
