/**
 * Bridges the model client's synchronous `onToken` callback to the job's asynchronous event log:
 * deltas are written one after another, in arrival order, and the first write failure is kept
 * for {@link TokenRelay.flush} to throw. After the job's signal aborts nothing more is written,
 * so no token lands after the job's terminal event.
 */
export class TokenRelay {
  private tail: Promise<void> = Promise.resolve();
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
    this.tail = this.tail
      .then(() => (this.signal.aborted || this.failure ? undefined : this.write(delta)))
      .catch((error: unknown) => {
        this.failure ??= { error };
      });
  };

  /** Waits until every queued delta is written; throws the first write failure. */
  async flush(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure.error;
  }
}
