export * from './client';
export * from './topics';
export * from './producer';
export * from './consumer';
export * from './dlq';
export * from './trace-headers';
export * from './kafka-health';
export { kafkaMetrics } from './metrics';
export type { Kafka, KafkaMessage, IHeaders } from 'kafkajs';
