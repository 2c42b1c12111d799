import { metrics } from '@opentelemetry/api';

const m = () => metrics.getMeter('vigil.kafka');
let cache: ReturnType<typeof build> | undefined;

function build() {
  const meter = m();
  return {
    consumed: meter.createCounter('kafka.consumer.messages', { description: 'Messages handled, by outcome' }),
    dlq: meter.createCounter('kafka.consumer.dlq.messages', {
      description: 'Messages sent to a DLQ, by reason',
    }),
    handlerDuration: meter.createHistogram('kafka.consumer.handler.duration.seconds', {
      unit: 's',
      description: 'Handler time per chunk',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
    lag: meter.createGauge('kafka.consumer.lag', {
      description: 'Offset lag at the last batch, per partition',
    }),
    produced: meter.createCounter('kafka.producer.messages', {
      description: 'Messages acknowledged by the broker',
    }),
    produceErrors: meter.createCounter('kafka.producer.errors', { description: 'Failed send calls' }),
    retries: meter.createCounter('consumer.retry', {
      description: 'Handler retries while a dependency was down (transient failures)',
    }),
    paused: pausedGauge(meter),
  };
}

/** Partitions each group holds back while a dependency is down (group -> topic:partition keys). */
const waiting = new Map<string, Set<string>>();

function pausedGauge(meter: ReturnType<typeof m>) {
  const gauge = meter.createObservableGauge('consumer.paused.partitions', {
    description: 'Partitions waiting for a dependency to come back (nothing past them is committed)',
  });
  gauge.addCallback((r) => {
    for (const [group, keys] of waiting) r.observe(keys.size, { group });
  });
  return gauge;
}

export function trackWaiting(group: string, key: string, on: boolean): void {
  kafkaMetrics();
  let keys = waiting.get(group);
  if (!keys) waiting.set(group, (keys = new Set()));
  if (on) keys.add(key);
  else keys.delete(key);
}

/**
 * A group's retry counter and paused gauge read 0 from the start rather than appearing with the
 * first outage: rate() and increase() then see the first retry, and a dashboard shows "none".
 */
export function registerConsumerGroup(group: string, topics: string[]): void {
  const metrics = kafkaMetrics();
  if (!waiting.has(group)) waiting.set(group, new Set());
  for (const topic of topics) metrics.retries.add(0, { topic, group });
}

export function kafkaMetrics() {
  cache ??= build();
  return cache;
}
