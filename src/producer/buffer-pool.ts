import { ProducerError } from './errors.js';

interface Waiter {
  readonly bytes: number;
  readonly grant: () => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Accounts for the bytes of records held until the broker acknowledges them (Java's buffer.memory).
 * `reserve` takes space at once when there is some and nobody is waiting; otherwise it queues (first
 * come, first served, so a large record is not starved) for up to `maxBlockMs`.
 */
export class BufferPool {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxBlockMs: number,
  ) {}

  get available(): number {
    return this.capacity - this.used;
  }

  /** Reservations queued for space. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Takes the bytes now if possible, without queueing. */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  /** Waits for space until `deadline` (epoch ms; default maxBlockMs from now), first come first served. */
  reserve(bytes: number, context: { topic: string }, deadline = Date.now() + this.maxBlockMs): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(
          () => {
            const index = this.waiters.indexOf(waiter);
            if (index >= 0) this.waiters.splice(index, 1);
            reject(
              new ProducerError(
                'PRODUCER_BUFFER_EXHAUSTED',
                `no room for a ${bytes}-byte record in bufferMemory (${this.capacity} bytes) after ${this.maxBlockMs} ms: ` +
                  'records are produced faster than the broker acknowledges them',
                {
                  retriable: true,
                  context: { topic: context.topic, recordBytes: bytes, bufferMemory: this.capacity },
                },
              ),
            );
            this.grantWaiting();
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.used -= bytes;
    this.grantWaiting();
  }

  private grantWaiting(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0]!.bytes <= this.capacity) {
      const waiter = this.waiters.shift()!;
      this.used += waiter.bytes;
      waiter.grant();
    }
  }
}
