/**
 * An engine's event time: the newest event time applied and the watermark behind it (newest minus
 * the allowed lateness). A stage fed by several upstream partitions (the IP and global stages)
 * runs on the slowest source's time, so a source that is behind (one catching up after downtime)
 * is not dropped as late because another raced ahead. Sources that go quiet are retired by the
 * caller (`retire`), so one silent partition does not stop the clock. Pure: no wall clock here.
 */
export class EventClock {
  /** Newest event time the engine has moved to (-Infinity: none yet). */
  maxT = -Infinity;
  /** Newest event time per upstream partition (-Infinity: expected, not heard from yet). */
  readonly sources = new Map<number, number>();

  constructor(readonly latenessMs: number) {}

  get watermark(): number {
    return this.maxT - this.latenessMs;
  }

  /**
   * Where the engine's time goes after an event at `t` (from `source`, for multi-source stages):
   * t itself for a single-source engine, else the slowest source's time once this one has moved;
   * undefined when nothing can move.
   */
  after(t: number, source: number | undefined): number | undefined {
    if (source === undefined) return t;
    const prev = this.sources.get(source);
    if (prev !== undefined && prev >= t) return undefined;
    this.sources.set(source, t);
    return this.slowest();
  }

  /** A source gone quiet no longer holds the clock back: the time it may move to, if it was held. */
  retire(source: number): number | undefined {
    return this.sources.delete(source) ? this.slowest() : undefined;
  }

  /** The upstream partitions there are: until each has been heard from (or retired), the clock waits for it. */
  expect(ids: number[]): void {
    for (const id of ids) if (!this.sources.has(id)) this.sources.set(id, -Infinity);
  }

  /** Every source counts as caught up (the clock is moved on without an event). */
  forgetSources(): void {
    this.sources.clear();
  }

  /** Moves the engine's time forward to t; false when t is not later. */
  moveTo(t: number): boolean {
    if (t <= this.maxT) return false;
    this.maxT = t;
    return true;
  }

  /** The slowest source's time, or undefined when there are none. */
  private slowest(): number | undefined {
    let slowest = Infinity;
    for (const x of this.sources.values()) if (x < slowest) slowest = x;
    return slowest === Infinity ? undefined : slowest;
  }
}
