/**
 * Total-variation distance ½ Σ |a(x) − b(x)| over the union of supports; 0 = equal, 1 = disjoint.
 * Generic in the outcome so distributions over token ids and over token texts both compare.
 */
export function totalVariation<K>(a: ReadonlyMap<K, number>, b: ReadonlyMap<K, number>): number {
  let sum = 0;
  for (const [x, pa] of a) sum += Math.abs(pa - (b.get(x) ?? 0));
  for (const [x, pb] of b) if (!a.has(x)) sum += pb;
  return sum / 2;
}
