import type { Logger } from 'winston';
import { kafkaMetrics, trackWaiting } from './metrics';

/** A partition waiting for a dependency to come back. */
export interface WaitingPartition {
  topic: string;
  partition: number;
  since: Date;
  retries: number;
  error: string;
}

/**
 * The partitions of one consumer group held back by a dependency that is down: what health
 * reports as degraded, the paused gauge counts, and the logs say once (then every 20 retries).
 */
export class PartitionWaits {
  private readonly waiting = new Map<string, WaitingPartition>();

  constructor(
    private readonly groupId: string,
    private readonly logger: Logger,
  ) {}

  has(topic: string, partition: number): boolean {
    return this.waiting.has(`${topic}:${partition}`);
  }

  list(): WaitingPartition[] {
    return [...this.waiting.values()];
  }

  note(topic: string, partition: number, err: unknown): void {
    const key = `${topic}:${partition}`;
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const w = this.waiting.get(key);
    kafkaMetrics().retries.add(1, { topic, group: this.groupId });
    if (w) {
      w.retries++;
      w.error = detail;
      if (w.retries % 20 === 0)
        this.logger.warn('still waiting for a dependency', {
          topic,
          partition,
          retries: w.retries,
          since: w.since,
          err: detail,
        });
      return;
    }
    this.waiting.set(key, { topic, partition, since: new Date(), retries: 1, error: detail });
    trackWaiting(this.groupId, key, true);
    this.logger.warn('dependency unavailable; holding the partition and retrying', {
      topic,
      partition,
      groupId: this.groupId,
      err: detail,
    });
  }

  /** The partition moves again (`resumed`), or was released while waiting. */
  clear(topic: string, partition: number, resumed = true): void {
    const key = `${topic}:${partition}`;
    const w = this.waiting.get(key);
    if (!w) return;
    this.waiting.delete(key);
    trackWaiting(this.groupId, key, false);
    if (resumed)
      this.logger.info('dependency back; partition resumed', {
        topic,
        partition,
        retries: w.retries,
        waitedMs: Date.now() - w.since.getTime(),
      });
  }
}
