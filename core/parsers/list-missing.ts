/** The required keys a parser did not fill, in the order given (stable output for tests and users). */
export function listMissing<T extends object>(
  metrics: T,
  required: readonly Extract<keyof T, string>[],
): string[] {
  return required.filter((key) => metrics[key] === undefined);
}
