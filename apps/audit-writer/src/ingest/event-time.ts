/**
 * The writer refuses event times no honest producer sends: older than the hot window plus the
 * allowed lateness (it would land in a partition retention has already removed, or create one for
 * the year 100), or further in the future than clock skew explains. They go to the DLQ with the
 * reason, where an operator can fix the producer's clock and replay them.
 */
export interface EventTimeBounds {
  hotDays: number;
  allowedLatenessHours: number;
  maxFutureSeconds: number;
}

export const IMPLAUSIBLE_TIME = 'implausible_time';

export function implausibleTime(
  occurredAt: string,
  now: number,
  b: EventTimeBounds,
): { reason: string; detail: string } | undefined {
  const t = Date.parse(occurredAt);
  if (Number.isNaN(t))
    return { reason: IMPLAUSIBLE_TIME, detail: `occurredAt ${JSON.stringify(occurredAt)} is not a time` };
  const oldest = now - b.hotDays * 86_400_000 - b.allowedLatenessHours * 3_600_000;
  if (t < oldest) {
    return {
      reason: IMPLAUSIBLE_TIME,
      detail: `occurredAt ${occurredAt} is older than the hot window (${b.hotDays} days) plus the allowed lateness (${b.allowedLatenessHours} h)`,
    };
  }
  if (t > now + b.maxFutureSeconds * 1000) {
    return {
      reason: IMPLAUSIBLE_TIME,
      detail: `occurredAt ${occurredAt} is ${Math.round((t - now) / 1000)} s in the future (at most ${b.maxFutureSeconds} s of clock skew is accepted)`,
    };
  }
  return undefined;
}
