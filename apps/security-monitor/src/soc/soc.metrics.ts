import { metrics } from '@opentelemetry/api';

let cache: ReturnType<typeof build> | undefined;

function build() {
  const m = metrics.getMeter('vigil.monitor.soc');
  return {
    sinkRecords: m.createCounter('monitor.soc.sink.records', {
      description: 'SOC sink records by sink and outcome (written, dropped: queue full or shutdown)',
    }),
    sinkFailures: m.createCounter('monitor.soc.sink.failures', {
      description: 'Failed SOC sink writes (retried with backoff), by sink',
    }),
    sinkQueue: m.createObservableGauge('monitor.soc.sink.queue', {
      description: 'Records waiting per SOC sink',
    }),
    webhookDeliveries: m.createCounter('monitor.webhook.deliveries', {
      description:
        'Escalation webhook outcomes: delivered, or dead-lettered with the reason (rejected, retries_exhausted, deadline_exceeded, queue_full, shutdown)',
    }),
    webhookAttempts: m.createCounter('monitor.webhook.attempts', {
      description: 'Webhook HTTP attempts by result (2xx, 3xx, 4xx, 5xx, timeout, network)',
    }),
    webhookLatency: m.createHistogram('monitor.webhook.latency.seconds', {
      unit: 's',
      description: 'From an alert being queued for the webhook to its final outcome, by outcome',
      advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] },
    }),
    webhookQueue: m.createObservableGauge('monitor.webhook.queue', {
      description: 'Escalations waiting for the webhook (bounded by MONITOR_WEBHOOK_QUEUE_MAX) and in flight',
    }),
    webhookDeadLetters: m.createCounter('monitor.webhook.dead_letters', {
      description: 'Escalations written to the webhook DLQ topic, by outcome (published, failed)',
    }),
  };
}

export function socMetrics() {
  cache ??= build();
  return cache;
}
