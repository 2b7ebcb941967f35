// The shape every report question answers in: a short headline (one sentence with its number), the
// derivation behind it (one line per host and pair, or whatever the question is asked of), and a status
// that says when the data is too noisy to answer and why. A question module only lists its subjects and
// writes the headline from those that answer; this file decides the status and the reason, the same way
// for every question.
import type { NoiseCause, NoiseNote } from "../noise-check.js";
import type { AnswerContext } from "./answer-context.js";

/**
 * answered: every subject answers; partly-noisy: some are too noisy and the headline rests on the others;
 * too-noisy: none answers; no-data: the sweep holds nothing the question could be asked of.
 */
export type AnswerStatus = "answered" | "partly-noisy" | "too-noisy" | "no-data";

export type AnswerNumbers = Record<string, string | number | boolean | null>;

export interface Answer {
  id: string;
  /** The question, as the report's heading. */
  title: string;
  /** One sentence with the headline number (or why there is none). */
  short: string;
  /** The derivation: a rule the answer applies, then one line per subject. */
  details: string[];
  status: AnswerStatus;
  /** Why the status is not `answered`: how many subjects are too noisy, by cause. */
  reason?: string;
  /** Each figure too noisy to answer from, and why (cli/report/noise-check.ts). */
  tooNoisy: string[];
  /** The figures behind the lines, machine-readable for --json, the recommendations and tests. */
  numbers: AnswerNumbers[];
}

/** One thing the question is asked of (a host and pair, a pair, a draft under batching ...). */
export type Subject<H> =
  | { line: string; numbers: AnswerNumbers[]; noise: []; headline: H }
  | { line: string; numbers: AnswerNumbers[]; noise: NoiseNote[] };

/** A subject that answers (no noise) with its headline figure, or one that cannot (with its noise). */
export function subject<H>(
  line: string,
  numbers: AnswerNumbers[],
  noise: NoiseNote[],
  headline: H,
): Subject<H> {
  return noise.length === 0 ? { line, numbers, noise: [], headline } : { line, numbers, noise };
}

export interface Question<H> {
  id: string;
  title: string;
  /** What a subject is, plural, for the reason: `host/pair settings`, `drafts under batching`. */
  subjectsAre: string;
  /** The short answer when the sweep has no subject. */
  noData: string;
  /** A rule the derivation applies, printed before its lines. */
  rule?: string;
  subjects(ctx: AnswerContext): Array<Subject<H>>;
  /** One sentence with a number, from the headline figures of the subjects that answer (at least one). */
  headline(answering: H[]): string;
}

/** What a figure with this cause did, for one figure and for several. */
const CAUSE_TEXT: Record<NoiseCause, [string, string]> = {
  contended: ["ran under contention", "ran under contention"],
  unstable: ["never became stable (sweep.precision)", "never became stable (sweep.precision)"],
  "few-runs": ["rests on fewer than 2 runs", "rest on fewer than 2 runs"],
  "no-interval": ["has no interval", "have no interval"],
  "wide-interval": [
    "has a 95% interval wider than a factor 1.5",
    "have a 95% interval wider than a factor 1.5",
  ],
  unpaired: ["has nothing to compare with", "have nothing to compare with"],
  tied: ["cannot be told from a runner-up", "cannot be told from a runner-up"],
  "straddles-one": ["has an interval containing 1", "have an interval containing 1"],
  borderline: ["lies too close to the line it is judged by", "lie too close to the line they are judged by"],
};

/** `3 figures ran under contention, 1 rests on fewer than 2 runs`, causes in a fixed order. */
export function describeNoise(notes: readonly NoiseNote[]): string {
  return (Object.keys(CAUSE_TEXT) as NoiseCause[])
    .map((cause) => ({ cause, n: notes.filter((x) => x.cause === cause).length }))
    .filter((c) => c.n > 0)
    .map(
      (c, i) =>
        `${c.n}${i === 0 ? (c.n === 1 ? " figure" : " figures") : ""} ${CAUSE_TEXT[c.cause][c.n === 1 ? 0 : 1]}`,
    )
    .join(", ");
}

export function answerQuestion<H>(q: Question<H>, ctx: AnswerContext): Answer {
  const subjects = q.subjects(ctx);
  const notes = subjects.flatMap((s) => s.noise);
  const answering = subjects.flatMap((s) => ("headline" in s ? [s.headline] : []));
  const noisy = subjects.length - answering.length;
  const status: AnswerStatus =
    subjects.length === 0
      ? "no-data"
      : answering.length === 0
        ? "too-noisy"
        : noisy > 0
          ? "partly-noisy"
          : "answered";
  const reason =
    noisy === 0
      ? undefined
      : `${noisy} of ${subjects.length} ${q.subjectsAre} cannot answer (${describeNoise(notes)})`;
  const short =
    status === "no-data"
      ? q.noData
      : status === "too-noisy"
        ? `Too noisy to answer: ${reason}.`
        : q.headline(answering);
  return {
    id: q.id,
    title: q.title,
    short,
    details:
      subjects.length === 0
        ? []
        : [...(q.rule === undefined ? [] : [q.rule]), ...subjects.map((s) => s.line)],
    status,
    ...(status === "no-data" ? { reason: q.noData } : reason === undefined ? {} : { reason }),
    tooNoisy: notes.map((n) => n.text),
    numbers: subjects.flatMap((s) => s.numbers),
  };
}
