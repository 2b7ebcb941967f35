// Nothing in a manifest says whether a pair is aligned; the report decides it from the per-token α at the
// lowest temperature measured (K-free, unlike accepted/drafted), and prints this rule beside the answer.

/** Pairs whose per-token acceptance α (at their lowest temperature) is at or above this are called aligned. */
export const ALIGNED_ACCEPTANCE = 0.5;
