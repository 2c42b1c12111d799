import type { Kafka } from 'kafkajs';

/*
 * The names code outside libs/kafka uses for the Kafka client and for what it reads, so that no
 * other project names a KafkaJS type (eslint: kafkajs is imported inside libs/kafka only). Moving
 * to another client changes these definitions and this library, nothing else.
 */

/** A connection to the cluster: InfraModule provides one per service (the KAFKA token); createKafka makes one. */
export type KafkaClient = Kafka;

/** A record's headers: name → value (or values). */
export interface RecordHeaders {
  [name: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** A record as read from a topic. */
export interface KafkaRecord {
  key: Buffer | null;
  value: Buffer | null;
  /** Milliseconds since the epoch, as a string. */
  timestamp: string;
  offset: string;
  headers?: RecordHeaders;
}
