import { metrics } from '@opentelemetry/api';

let cache: ReturnType<typeof build> | undefined;

function build() {
  const m = metrics.getMeter('vigil.monitor');
  return {
    /** rate() of this is events/s. */
    events: m.createCounter('monitor.events', {
      description: 'Auth events evaluated by the detection engine',
    }),
    lateDropped: m.createCounter('monitor.events.late_dropped', {
      description: 'Events older than the watermark (beyond the allowed lateness), dropped',
    }),
    skippedReplayed: m.createCounter('monitor.events.already_covered', {
      description: 'Redelivered events already covered by the saved state, skipped',
    }),
    alerts: m.createCounter('monitor.alerts', {
      description: 'Alert transitions published, by rule, severity and status',
    }),
    actions: m.createCounter('monitor.actions', {
      description: 'Responses, by action and mode (published, dry_run, skipped)',
    }),
    detectionLatency: m.createHistogram('monitor.detection.latency.seconds', {
      unit: 's',
      description: 'Event time of the triggering event to the alert being published',
      advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
    }),
    repartitioned: m.createCounter('monitor.repartitioned', {
      description:
        'Records re-keyed onto the repartition topic for the keyed stage, by key kind (ip, route, password_fingerprint)',
    }),
    repartitionUnknownKind: m.createCounter('monitor.repartition.unknown_kind', {
      description: 'Repartitioned records of a key kind this version does not evaluate, skipped',
    }),
    stateSaveSeconds: m.createHistogram('monitor.state.save.seconds', {
      unit: 's',
      description: 'Saving one partition state after a step, by stage',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
    }),
    stateSaveFailures: m.createCounter('monitor.state.save.failures', {
      description: 'Partition state saves that failed (retried; commits wait for them)',
    }),
    stateBytes: m.createHistogram('monitor.state.bytes', {
      unit: 'By',
      description: 'Serialised size of one partition state, by stage',
      advice: { explicitBucketBoundaries: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8] },
    }),
    ruleReloads: m.createCounter('monitor.rules.reloads', {
      description: 'Rules file reloads, by outcome (applied, refused)',
    }),
    keysInState: m.createObservableGauge('monitor.state.keys', {
      description: 'Keys held in detection state, by rule',
    }),
    activeAlerts: m.createObservableGauge('monitor.alerts.active', {
      description: 'Alerts currently firing',
    }),
  };
}

export function monitorMetrics() {
  cache ??= build();
  return cache;
}
