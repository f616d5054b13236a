/** What the broker said about a record that was written. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** The record's own offset (the batch's base offset plus its place in the batch); -1 with acks 0. */
  readonly offset: number;
  /** The record's timestamp, or the broker's append time on LogAppendTime topics. */
  readonly timestamp: number;
}

/** Called with every failure nobody observed: a fire-and-forget send never loses its error. */
export type ErrorHook = (error: unknown, context: { readonly topic: string }) => void;

/**
 * The promise `send` returns. It notices whether anyone is listening (`then`, `catch`, `await`); a
 * failure nobody listens to goes to the error hook instead of becoming an unhandled rejection.
 */
export class Delivery<T> extends Promise<T> {
  // Derived promises (from then/catch) are plain promises, not Deliveries.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  observed = false;

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.observed = true;
    return super.then(onFulfilled, onRejected);
  }
}

const markHandled = (promise: Promise<unknown>) => Promise.prototype.then.call(promise, undefined, () => {});

/** Called with the outcome of a send in the callback form. */
export type DeliveryCallback = (error: unknown, metadata: RecordMetadata | undefined) => void;

/**
 * The producer's side of one record's outcome: a {@link Delivery} promise, or — for the callback
 * form — the callback alone, so a fire-many loop allocates no promise per record.
 */
export class DeliveryHandle {
  readonly promise: Delivery<RecordMetadata> | undefined;
  private resolveFn: ((metadata: RecordMetadata) => void) | undefined;
  private rejectFn: ((error: unknown) => void) | undefined;
  private settled = false;

  constructor(
    private readonly topic: string,
    private readonly onError: ErrorHook,
    private readonly callback?: DeliveryCallback,
  ) {
    if (!callback) {
      this.promise = new Delivery<RecordMetadata>((resolve, reject) => {
        this.resolveFn = resolve;
        this.rejectFn = reject;
      });
    }
  }

  succeed(metadata: RecordMetadata): void {
    if (this.settled) return;
    this.settled = true;
    if (this.callback) this.call(null, metadata);
    else this.resolveFn!(metadata);
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    // Decided a turn later: callbacks are never called from inside `send`, and `await producer.send(...)`
    // right after the call counts as listening even when the record failed synchronously.
    setImmediate(() => {
      if (this.callback) return this.call(error, undefined);
      const promise = this.promise!;
      if (!promise.observed) {
        markHandled(promise);
        this.report(error);
      }
      this.rejectFn!(error);
    });
  }

  private call(error: unknown, metadata: RecordMetadata | undefined): void {
    try {
      this.callback!(error, metadata);
    } catch (thrown) {
      this.report(thrown);
    }
  }

  private report(error: unknown): void {
    try {
      this.onError(error, { topic: this.topic });
    } catch {
      // An error hook that throws must not take the producer down with it.
    }
  }
}

/**
 * How a record's outcome is told: the callback given to `send` itself (no object per record) or the
 * handle of the promise `send` returned.
 */
export type Outcome = DeliveryHandle | DeliveryCallback;

/** Tells a record's outcome of success; a callback that throws is reported to the error hook. */
export function succeed(outcome: Outcome, metadata: RecordMetadata, topic: string, onError: ErrorHook): void {
  if (typeof outcome !== 'function') return outcome.succeed(metadata);
  try {
    outcome(null, metadata);
  } catch (thrown) {
    report(onError, thrown, topic);
  }
}

/** Tells a record's failure, a turn later, as {@link DeliveryHandle.fail} does. */
export function fail(outcome: Outcome, error: unknown, topic: string, onError: ErrorHook): void {
  if (typeof outcome !== 'function') return outcome.fail(error);
  setImmediate(() => {
    try {
      outcome(error, undefined);
    } catch (thrown) {
      report(onError, thrown, topic);
    }
  });
}

function report(onError: ErrorHook, error: unknown, topic: string): void {
  try {
    onError(error, { topic });
  } catch {
    // An error hook that throws must not take the producer down with it.
  }
}
