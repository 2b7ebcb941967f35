// The prompt suites a manifest can name (`prompts: { suite: default, categories: [code, chat] }`). They are
// code, not data files, so they ship inside the package's dist/ and every coordinator and client of one
// version resolves a suite to the same texts.
import { DEFAULT_SUITE, PROMPT_CATEGORIES, type PromptCategory } from "./default-suite.js";

export { PROMPT_CATEGORIES, type PromptCategory };

export const PROMPT_SUITES: Readonly<Record<string, Readonly<Record<PromptCategory, readonly string[]>>>> = {
  default: DEFAULT_SUITE,
};

export const PROMPT_SUITE_NAMES = Object.keys(PROMPT_SUITES);

export interface SuitePrompt {
  text: string;
  category: PromptCategory;
}

/**
 * The prompts of `suite` in the given categories (every category when none is given), category by
 * category in suite order. Undefined when the suite does not exist; unknown category names are left to
 * the caller to report (isPromptCategory).
 */
export function suitePrompts(
  suite: string,
  categories: readonly PromptCategory[] = PROMPT_CATEGORIES,
): SuitePrompt[] | undefined {
  const prompts = Object.hasOwn(PROMPT_SUITES, suite) ? PROMPT_SUITES[suite] : undefined;
  if (prompts === undefined) return undefined;
  const wanted = new Set(categories);
  return PROMPT_CATEGORIES.filter((c) => wanted.has(c)).flatMap((category) =>
    prompts[category].map((text) => ({ text, category })),
  );
}

export function isPromptCategory(name: string): name is PromptCategory {
  return (PROMPT_CATEGORIES as readonly string[]).includes(name);
}
