/**
 * Waiting that can be cut short: a group's loops sleep until their next heartbeat or until something
 * changes (a rejoin requested, the consumer closing), and `wake()` ends every wait in progress.
 */
export class Wakeup {
  private resolveAll: () => void = () => {};
  private woken = new Promise<void>((resolve) => (this.resolveAll = resolve));

  /** Ends every wait in progress (a later wait is not affected). */
  wake(): void {
    const resolve = this.resolveAll;
    this.woken = new Promise<void>((r) => (this.resolveAll = r));
    resolve();
  }

  /** Until woken, or `ms` has passed (forever without `ms`). */
  async wait(ms?: number): Promise<void> {
    if (ms === undefined) return this.woken;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.woken, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, ms))))]);
    clearTimeout(timer);
  }
}
