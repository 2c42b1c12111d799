import { Partitioners, type PartitionMetadata } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The partition Kafka's default partitioner (murmur2 of the key, as the Java client and
 * EventProducer use) gives a keyed record on a topic of `partitions` partitions: where the
 * monitor's user stage sends an IP's events on the repartition topic, so an in-process run of
 * the topology (the replay) groups keys as the live IP stage does.
 */
export function partitionOfKey(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be >= 1, got ${partitions}`);
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}
