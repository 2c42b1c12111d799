import { metrics } from '@opentelemetry/api';

let cache: ReturnType<typeof build> | undefined;

function build() {
  const m = metrics.getMeter('vigil.audit');
  return {
    rows: m.createCounter('audit.rows.written', { description: 'Rows committed to audit_logs' }),
    duplicates: m.createCounter('audit.events.duplicate', {
      description: 'Redelivered or repeated events skipped',
    }),
    batchSize: m.createHistogram('audit.batch.size', {
      description: 'Events per ingest transaction',
      advice: { explicitBucketBoundaries: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000] },
    }),
    batchDuration: m.createHistogram('audit.batch.duration.seconds', {
      unit: 's',
      description: 'Time per ingest transaction',
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    }),
  };
}

export function ingestMetrics() {
  cache ??= build();
  return cache;
}
