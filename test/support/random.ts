/**
 * A seeded pseudo-random generator (mulberry32), so a randomised test fails the same way every run
 * and a failure can be replayed from the seed it prints.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive, for ranges within ±2^53. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** 32 random bits as an unsigned number. */
  uint32(): number {
    return Math.floor(this.next() * 4294967296);
  }

  /** A random signed 64-bit integer of a random bit length, so small and large magnitudes both occur. */
  int64(): bigint {
    const bits = this.int(1, 64);
    const raw = (BigInt(this.uint32()) << 32n) | BigInt(this.uint32());
    return BigInt.asIntN(64, raw & ((1n << BigInt(bits)) - 1n)) * (bits < 64 && this.next() < 0.5 ? -1n : 1n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
}
