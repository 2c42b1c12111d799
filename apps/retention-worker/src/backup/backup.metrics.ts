import { metrics } from '@opentelemetry/api';

/**
 * Names are chosen for the Prometheus exporter (`.` becomes `_`, no unit given so none is
 * appended): `backup_last_success_timestamp_seconds` (seed 000-26's alert: age > 26 h),
 * `backup_size_bytes`, `backup_files`, `backup_duration_seconds`, `backup_failures_total`.
 */
const state: { lastSuccess?: number; bytes?: number; files?: number; durationSeconds?: number } = {};
let cache: ReturnType<typeof build> | undefined;

function build() {
  const m = metrics.getMeter('vigil.retention');
  const gauge = (name: string, description: string, read: () => number | undefined) =>
    m.createObservableGauge(name, { description }).addCallback((r) => {
      const v = read();
      if (v !== undefined) r.observe(v); // nothing until there is a backup: absent, not 0 (an alert on absence says "never")
    });
  gauge(
    'backup.last_success_timestamp_seconds',
    'Unix time the newest complete backup finished (its manifest was written)',
    () => state.lastSuccess,
  );
  gauge(
    'backup.size_bytes',
    'Bytes stored by the newest complete backup (all files and the manifest)',
    () => state.bytes,
  );
  gauge('backup.files', 'Files in the newest complete backup', () => state.files);
  gauge('backup.duration_seconds', 'How long the newest complete backup took', () => state.durationSeconds);
  return {
    failures: m.createCounter('backup.failures', {
      description: 'Backups that failed (pg_dump, the store or the database)',
    }),
  };
}

export function backupMetrics() {
  cache ??= build();
  return {
    ...cache,
    /** The newest complete backup (at start, from the backups table; then after each success). */
    succeeded(at: Date, bytes: number, files: number, durationMs: number): void {
      if (state.lastSuccess !== undefined && state.lastSuccess > at.getTime() / 1000) return;
      state.lastSuccess = at.getTime() / 1000;
      state.bytes = bytes;
      state.files = files;
      state.durationSeconds = durationMs / 1000;
    },
  };
}
