import { metrics } from '@opentelemetry/api';

const m = () => metrics.getMeter('vigil.kafka');
let cache: ReturnType<typeof build> | undefined;

function build() {
  const meter = m();
  return {
    consumed: meter.createCounter('kafka.consumer.messages', { description: 'Messages handled, by outcome' }),
    dlq: meter.createCounter('kafka.consumer.dlq.messages', { description: 'Messages sent to a DLQ, by reason' }),
    handlerDuration: meter.createHistogram('kafka.consumer.handler.duration.seconds', {
      unit: 's',
      description: 'Handler time per chunk',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
    lag: meter.createGauge('kafka.consumer.lag', { description: 'Offset lag at the last batch, per partition' }),
    produced: meter.createCounter('kafka.producer.messages', { description: 'Messages acknowledged by the broker' }),
    produceErrors: meter.createCounter('kafka.producer.errors', { description: 'Failed send calls' }),
  };
}

export function kafkaMetrics() {
  cache ??= build();
  return cache;
}
