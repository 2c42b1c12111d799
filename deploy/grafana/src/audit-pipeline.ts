/**
 * The audit pipeline end to end (seed 001-12, 001-21, 001-26, 000-26): the gateway's outbox into
 * Kafka, the writer's ingest, lag and DLQ, signed checkpoints, the store's chains and size, and
 * the retention worker's runs and backups.
 */
import { graph, grid, prom, row, single, sql, vigilDashboard } from './common';

const GW = 'job="auth-gateway"';
const AW = 'job="audit-writer"';
const RW = 'job="retention-worker"';
const bucketQuantile = (q: number, metric: string, sel: string) =>
  `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket{${sel}}[$__rate_interval])))`;

export const RECENT_BACKUPS_SQL = `
  SELECT started_at AS started, finished_at AS finished, status, trigger, files,
         bytes, finished_at - started_at AS took, error
    FROM backups
   WHERE started_at > now() - interval '14 days'
   ORDER BY started_at DESC
   LIMIT 20`;

export const RECENT_RETENTION_RUNS_SQL = `
  SELECT started_at AS started, finished_at AS finished, trigger, dry_run, outcome,
         retention_days, cutoff, error
    FROM retention_runs
   WHERE $__timeFilter(started_at) OR started_at > now() - interval '7 days'
   ORDER BY started_at DESC
   LIMIT 20`;

export function auditPipeline() {
  return vigilDashboard(
    'vigil-audit-pipeline',
    'Vigil · Audit pipeline',
    'From the gateway outbox to signed, retained and backed-up audit rows.',
  )
    .withRow(row('Health'))
    .withPanel(
      single('Rows written/s', prom(`sum(rate(audit_rows_written_total{${AW}}[$__rate_interval]))`), {
        unit: 'ops',
        span: 3,
      }),
    )
    .withPanel(
      single('Writer lag (messages)', prom(`sum(kafka_consumer_lag{${AW}})`), {
        span: 3,
        thresholds: [
          [null, 'green'],
          [1000, 'orange'],
          [100000, 'red'],
        ],
      }),
    )
    .withPanel(
      single(
        'DLQ messages (time range)',
        prom('sum(increase(kafka_consumer_dlq_messages_total[$__range])) or vector(0)'),
        {
          span: 3,
          description: 'Every consumer. Replay with npm run dlq:replay once the cause is fixed.',
          thresholds: [
            [null, 'green'],
            [1, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      single('Checkpoint age', prom(`max(audit_checkpoint_age_seconds{${AW}})`), {
        unit: 's',
        span: 3,
        description: 'Since the last signed checkpoint: signed every 10 s, idle or not.',
        thresholds: [
          [null, 'green'],
          [30, 'orange'],
          [120, 'red'],
        ],
      }),
    )
    .withPanel(single('Hash chains', prom(`max(audit_chains{${AW}})`), { span: 3 }))
    .withPanel(
      single('Audit store size', prom(`max(audit_db_bytes{${AW}})`), {
        unit: 'bytes',
        span: 3,
        description: 'Every partition of audit_logs with indexes (seed 001-12).',
      }),
    )
    .withPanel(
      single(
        'Since last retention run',
        prom(`time() - max(retention_last_success_timestamp_seconds{${RW}})`),
        {
          unit: 's',
          span: 3,
          description: 'Last successful (not dry-run) retention run. Daily schedule: red after 26 h.',
          thresholds: [
            [null, 'green'],
            [26 * 3600, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      single('Since last backup', prom(`time() - max(backup_last_success_timestamp_seconds{${RW}})`), {
        unit: 's',
        span: 3,
        description: 'Newest complete backup (seed 000-26: older than 26 h pages).',
        thresholds: [
          [null, 'green'],
          [26 * 3600, 'red'],
        ],
      }),
    )
    .withRow(row('Ingest'))
    .withPanel(
      graph(
        'Gateway outbox',
        [
          prom(`sum(outbox_depth{${GW}})`, 'events waiting'),
          prom(`max(outbox_oldest_age_seconds{${GW}})`, 'oldest waiting (s)'),
        ],
        { span: 8, description: 'Kafka away delays events here; it never loses them.' },
      ),
    )
    .withPanel(
      graph(
        'Outbox → Kafka ack latency',
        [
          prom(bucketQuantile(0.5, 'outbox_publish_lag_seconds', GW), 'p50'),
          prom(bucketQuantile(0.99, 'outbox_publish_lag_seconds', GW), 'p99'),
        ],
        { unit: 's', span: 8 },
      ),
    )
    .withPanel(
      graph(
        'Events in and rows out',
        [
          prom(`sum(rate(outbox_published_total{${GW}}[$__rate_interval]))`, 'published by the gateway'),
          prom(
            `sum by (outcome) (rate(kafka_consumer_messages_total{${AW}}[$__rate_interval]))`,
            'writer consumed {{outcome}}',
          ),
          prom(`sum(rate(audit_rows_written_total{${AW}}[$__rate_interval]))`, 'rows written'),
          prom(`sum(rate(audit_events_duplicate_total{${AW}}[$__rate_interval]))`, 'duplicates skipped'),
        ],
        { unit: 'ops', span: 8, description: 'Duplicates follow a rebalance or a replay; they are no-ops.' },
      ),
    )
    .withPanel(
      graph('Writer lag by topic', [prom(`sum by (topic) (kafka_consumer_lag{${AW}})`, '{{topic}}')], {
        span: 8,
        min: 0,
      }),
    )
    .withPanel(
      graph(
        'DLQ messages by consumer, topic and reason',
        [
          prom(
            'sum by (job, topic, reason) (increase(kafka_consumer_dlq_messages_total[$__rate_interval]))',
            '{{job}} {{topic}} {{reason}}',
          ),
        ],
        {
          span: 8,
          description: 'Bad messages only: a dependency that is down pauses the partition instead.',
        },
      ),
    )
    .withPanel(
      graph(
        'Ingest transactions',
        [
          prom(bucketQuantile(0.95, 'audit_batch_duration_seconds', AW), 'p95 duration (s)'),
          prom(bucketQuantile(0.5, 'audit_batch_size', AW), 'p50 batch size (events)'),
        ],
        { span: 8 },
      ),
    )
    .withRow(row('Tamper evidence and the store'))
    .withPanel(
      graph('Checkpoint age', [prom(`max(audit_checkpoint_age_seconds{${AW}})`, 'age')], {
        unit: 's',
        span: 8,
        thresholds: [
          [null, 'green'],
          [30, 'red'],
        ],
      }),
    )
    .withPanel(
      graph(
        'Checkpoints published',
        [
          prom(
            `sum(increase(kafka_producer_messages_total{${AW}, topic=~"audit\\\\.checkpoints.*"}[$__rate_interval]))`,
            'to audit.checkpoints.v1',
          ),
        ],
        { span: 8, description: 'The outside witness: npm run audit:witness keeps a copy.' },
      ),
    )
    .withPanel(
      graph(
        'Store size and growth',
        [
          prom(`max(audit_db_bytes{${AW}})`, 'size'),
          prom(`max(delta(audit_db_bytes{${AW}}[1d]))`, 'growth over the last day'),
        ],
        { unit: 'bytes', span: 8, description: 'Seed 001-12, 001-21.' },
      ),
    )
    .withRow(row('Retention and backups'))
    .withPanel(
      graph(
        'Retention runs',
        [
          prom(
            `sum by (outcome, dry_run) (increase(retention_runs_total{${RW}}[$__rate_interval]))`,
            '{{outcome}} dry_run={{dry_run}}',
          ),
        ],
        { span: 8 },
      ),
    )
    .withPanel(
      graph(
        'Oldest row in the hot store',
        [prom(`max(retention_oldest_hot_row_age_seconds{${RW}}) / 86400`, 'days')],
        {
          span: 8,
          description: 'Seed 001-26: nothing older than the hot window (90 days) once retention has run.',
          thresholds: [
            [null, 'green'],
            [91, 'red'],
          ],
        },
      ),
    )
    .withPanel(
      graph('Backup size', [prom(`max(backup_size_bytes{${RW}})`, 'newest complete backup')], {
        unit: 'bytes',
        span: 8,
      }),
    )
    .withPanel(grid('Recent retention runs', sql(RECENT_RETENTION_RUNS_SQL)))
    .withPanel(grid('Recent backups (14 days)', sql(RECENT_BACKUPS_SQL)));
}
