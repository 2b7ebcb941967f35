/** Remove keys whose value is undefined, so JSON output and deep equality see only found figures. */
export function dropUndefined<T extends object>(record: T): T {
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) delete (record as Record<string, unknown>)[key];
  }
  return record;
}
