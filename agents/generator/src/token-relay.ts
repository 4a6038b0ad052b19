/**
 * Bridges the model client's synchronous `onToken` callback to the job's asynchronous event log.
 * Deltas are written in arrival order, one write at a time; deltas that arrive while a write is in
 * flight (or in the same tick) are joined into the next write, so the number of events adapts to
 * how fast the log takes them: a model streaming at its own pace gets an event per token, a burst
 * gets one event. The first write failure is kept for {@link TokenRelay.flush} to throw. After the
 * job's signal aborts nothing more is written, so no token lands after the job's terminal event.
 */
export class TokenRelay {
  private pending = '';
  private pump: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private sent = 0;

  constructor(
    private readonly write: (delta: string) => Promise<void>,
    private readonly signal: AbortSignal,
  ) {}

  /** Number of deltas accepted so far. */
  get count(): number {
    return this.sent;
  }

  /** Queues a delta (the `onToken` callback). */
  readonly push = (delta: string): void => {
    if (this.signal.aborted || this.failure) return;
    this.sent++;
    this.pending += delta;
    this.pump ??= this.drain();
  };

  /** Waits until every queued delta is written; throws the first write failure. */
  async flush(): Promise<void> {
    while (this.pump) await this.pump;
    if (this.failure) throw this.failure.error;
  }

  private async drain(): Promise<void> {
    // Start on the next microtask, so deltas pushed in the same tick travel together.
    await Promise.resolve();
    while (this.pending && !this.signal.aborted && !this.failure) {
      const chunk = this.pending;
      this.pending = '';
      try {
        await this.write(chunk);
      } catch (error) {
        this.failure ??= { error };
      }
    }
    this.pump = undefined;
  }
}
