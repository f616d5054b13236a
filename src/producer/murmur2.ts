/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): the hash the Java client's default
 * partitioner applies to serialized key bytes. 32-bit signed arithmetic throughout, as in Java.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  // Java's switch falls through from 3 to 1; the same, without a fallthrough.
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * Where the Java client's default partitioner puts a record with these serialized key bytes (the
 * first `length` of them: the producer hashes a scratch buffer it reuses).
 */
export function javaDefaultPartition(
  keyBytes: Uint8Array,
  partitionCount: number,
  length = keyBytes.length,
): number {
  return toPositive(murmur2(keyBytes, length)) % partitionCount;
}
