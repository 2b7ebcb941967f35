// The classic lab questions, answered from the sweep's own numbers: one module per question under
// cli/report/answers/, in the order the report prints them. Every sentence is assembled from measured or
// fitted values; where the data for a question is missing or too noisy the answer says so and why.
import { acceptance } from "./answers/acceptance.js";
import { alignedVsMisaligned } from "./answers/aligned-vs-misaligned.js";
import { answerContext } from "./answers/answer-context.js";
import { answerQuestion, type Answer, type Question } from "./answers/answer.js";
import { baselineTps } from "./answers/baseline-tps.js";
import { batching } from "./answers/batching.js";
import { bestK } from "./answers/best-k.js";
import { breakEven } from "./answers/break-even.js";
import { memory } from "./answers/memory.js";
import { nextK } from "./answers/next-k.js";
import { speedupVsTheory } from "./answers/speedup-vs-theory.js";
import { temperatureAcceptance } from "./answers/temperature-acceptance.js";
import { temperatureStopsPaying } from "./answers/temperature-stops-paying.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

export type { Answer, AnswerStatus } from "./answers/answer.js";

/** Every question the report answers, in reading order; a new question is one module and one entry here. */
export const REPORT_QUESTIONS: ReadonlyArray<Question<unknown>> = [
  baselineTps,
  speedupVsTheory,
  acceptance,
  bestK,
  nextK,
  temperatureAcceptance,
  temperatureStopsPaying,
  breakEven,
  alignedVsMisaligned,
  batching,
  memory,
];

export function answerQuestions(a: SweepAnalysis): Answer[] {
  const ctx = answerContext(a);
  return REPORT_QUESTIONS.map((q) => answerQuestion(q, ctx));
}
