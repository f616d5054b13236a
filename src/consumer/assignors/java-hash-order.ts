/**
 * The order a Java `HashMap<String, …>` iterates its keys in. Java's group leader collects the members'
 * subscriptions into such maps (ConsumerCoordinator.onLeaderElected, AbstractStickyAssignor), and
 * where the sticky assignor must choose between equal members it takes the first in that order; the
 * same order here makes avrokit's leader hand out the same assignment as a Java leader would.
 *
 * A HashMap created empty and filled one key at a time has 16 buckets, doubling whenever it holds more
 * than 3/4 of its bucket count; it iterates bucket by bucket (a key's bucket is its String.hashCode,
 * spread as `h ^ (h >>> 16)`, masked by the bucket count), and within a bucket in insertion order
 * (resizing keeps that order). Buckets turned into trees (8 keys in one bucket of a table of 64 or
 * more) are not modelled: no group has such member ids by chance.
 */

/** Java's String.hashCode: over UTF-16 code units, s[0]·31^(n−1) + … + s[n−1], in 32-bit arithmetic. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The bucket count of a HashMap after `size` puts into `new HashMap<>()`. */
function capacityFor(size: number): number {
  let capacity = 16;
  while (size > capacity * 0.75) capacity *= 2;
  return capacity;
}

/** The keys (distinct, in insertion order) in the order the HashMap they were put into iterates them. */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  const mask = capacityFor(keys.length) - 1;
  const bucket = (key: string): number => {
    const h = javaStringHash(key);
    return (h ^ (h >>> 16)) & mask;
  };
  // Array.prototype.sort is stable: equal buckets keep insertion order.
  return keys
    .map((key, index) => ({ key, index, bucket: bucket(key) }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((e) => e.key);
}
