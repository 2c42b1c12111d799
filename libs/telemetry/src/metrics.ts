import { metrics, type Meter } from '@opentelemetry/api';

/** Histogram buckets (seconds) with boundaries at the seeds' thresholds: 0.3 s SLO, 0.5 s, 1 s. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10];

export function meter(name = 'vigil'): Meter {
  return metrics.getMeter(name);
}
