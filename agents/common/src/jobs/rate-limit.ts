/** Per-tenant token buckets: `ratePerS` sustained, `burst` at once. Rate 0 disables the limit. */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds until one is available. */
  take(tenantId: string): number {
    if (this.ratePerS <= 0) return 0;
    const t = this.now();
    const b = this.buckets.get(tenantId) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerS);
    b.at = t;
    this.buckets.set(tenantId, b);
    if (this.buckets.size > 10_000) this.evictFull(t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerS));
  }

  /** Forgets tenants whose bucket has refilled, keeping memory bounded. */
  private evictFull(t: number): void {
    for (const [tenant, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.ratePerS >= this.burst) this.buckets.delete(tenant);
    }
  }
}
