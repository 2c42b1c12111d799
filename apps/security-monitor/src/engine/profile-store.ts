import type { EventEnvelope } from '@vigil/contracts';

/*
 * What a profile rule's store of per-user profiles offers the engine, and the store itself: a
 * Map by user with start-over on long idleness, a cap and an hourly sweep (hour-profiles.ts and
 * network-profiles.ts fill in what a profile is and how it judges).
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;

export interface CompiledProfile {
  /** The alert's threshold field. */
  readonly threshold: number;
  /** Users with a profile. */
  readonly size: number;
  /** Profiles dropped for room (the cap), since this engine started. */
  readonly evicted: number;
  /** Judges the event against the user's profile, then learns it. True when the event is unusual. */
  observe(user: string, e: EventEnvelope, t: number): boolean;
  /** Forgets profiles idle for longer than learnDays (at most once an hour of event time). */
  sweep(watermark: number): void;
  /** What the user's last flagged event was, for the alert summary (never event payloads). */
  describe(user: string): string;
  /** The profiles as plain JSON, for the engine's snapshot. */
  toJson(): Array<[string, unknown]>;
  restore(saved: Array<[string, unknown]>): void;
}

/**
 * Profiles of one rule by user. They live beside the rule's keys (which hold only the flagged
 * events' windows and alerts), so a user who never does anything unusual costs one small array
 * and no window state. At most `maxUsers` (MONITOR_MAX_KEYS_PER_RULE): beyond it the profile
 * made longest ago is dropped (that user starts over in cold start).
 */
export abstract class ProfileStore<P> implements CompiledProfile {
  protected readonly profiles = new Map<string, P>();
  private lastSweep = -Infinity;
  evicted = 0;
  abstract readonly threshold: number;

  constructor(
    protected readonly learnMs: number,
    private readonly maxUsers: number,
  ) {}

  get size(): number {
    return this.profiles.size;
  }

  abstract observe(user: string, e: EventEnvelope, t: number): boolean;
  abstract describe(user: string): string;
  protected abstract fresh(t: number): P;
  /**
   * Epoch minute of the profile's newest login: a small integer, where a time in ms returned from
   * a call is a boxed double (an allocation per login).
   */
  protected abstract lastMinuteOf(p: P): number;

  /** The user's profile; a new one if none, or if idle for longer than learnDays (start over). */
  protected profileOf(user: string, t: number): P {
    const p = this.profiles.get(user);
    if (p !== undefined && t - this.lastMinuteOf(p) * MINUTE <= this.learnMs) return p;
    if (p === undefined && this.profiles.size >= this.maxUsers) {
      this.profiles.delete(this.profiles.keys().next().value as string);
      this.evicted++;
    }
    const made = this.fresh(t);
    this.profiles.set(user, made);
    return made;
  }

  sweep(watermark: number): void {
    if (watermark - this.lastSweep < HOUR) return;
    this.lastSweep = watermark;
    for (const [user, p] of this.profiles)
      if (watermark - this.lastMinuteOf(p) * MINUTE > this.learnMs) this.profiles.delete(user);
  }

  toJson(): Array<[string, unknown]> {
    return [...this.profiles];
  }

  restore(saved: Array<[string, unknown]>): void {
    this.profiles.clear();
    for (const [user, p] of saved) this.profiles.set(user, p as P);
  }
}
