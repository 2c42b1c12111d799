import { metrics } from '@opentelemetry/api';

// Names carry their unit: the Prometheus exporter appends none (retention_last_success_timestamp_seconds, ...).

let cache: ReturnType<typeof build> | undefined;

function build() {
  const m = metrics.getMeter('vigil.retention');
  return {
    runs: m.createCounter('retention.runs', {
      description: 'Retention runs by outcome (success, failure, partial) and dry_run',
    }),
    failures: m.createCounter('retention.failures', { description: 'Retention steps that failed (by step)' }),
    rowsArchived: m.createCounter('retention.rows.archived', {
      description: 'Rows written to verified archives',
    }),
    bytesArchived: m.createCounter('retention.archived_bytes', {
      description: 'Compressed archive bytes written and verified',
    }),
    partitionsDetached: m.createCounter('retention.partitions.detached', {
      description: 'Partitions detached from audit_logs',
    }),
    partitionsDropped: m.createCounter('retention.partitions.dropped', {
      description: 'Detached partitions dropped after their grace period',
    }),
    archivesDeleted: m.createCounter('retention.archives.deleted', {
      description: 'Archives deleted past their window',
    }),
    lastSuccess: m.createGauge('retention.last_success_timestamp_seconds', {
      description: 'Unix time of the last successful retention run',
    }),
    oldestHotRowAge: m.createGauge('retention.oldest_hot_row_age_seconds', {
      description: 'Age of the oldest row in audit_logs',
    }),
    archiveDuration: m.createHistogram('retention.archive.duration_seconds', {
      description: 'Time to export, read back and verify one archive',
      advice: { explicitBucketBoundaries: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600] },
    }),
  };
}

export function retentionMetrics() {
  cache ??= build();
  return cache;
}
