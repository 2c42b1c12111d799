import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import { EventConsumer, EventProducer, type EventConsumerOptions, type KafkaClient } from '@vigil/kafka';
import type { CheckResult } from './health';
import type { BaseServiceConfig } from './service-config';
import { KAFKA, LOGGER, SERVICE_CONFIG } from './tokens';

export type ConsumerSpec = Omit<EventConsumerOptions, 'dlqProducer' | 'logger'> & { name: string };

/**
 * The service's Kafka consumers. Feature modules add theirs at init; the runtime starts them once
 * the service is up and stops them first on SIGTERM (the chunk in hand finishes and commits).
 */
@Injectable()
export class ConsumerRegistry {
  private readonly specs: ConsumerSpec[] = [];
  private readonly consumers = new Map<string, EventConsumer>();

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    private readonly producer: EventProducer,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: BaseServiceConfig,
  ) {}

  add(spec: ConsumerSpec): void {
    this.specs.push(spec);
  }

  get names(): string[] {
    return this.specs.map((s) => s.name);
  }

  isRunning(name: string): boolean {
    return this.consumers.get(name)?.isRunning ?? false;
  }

  /** See EventConsumer.inputQuiet; a consumer not started (yet) is not quiet. */
  inputQuiet(name: string, topic: string, partition: number, withinMs: number): boolean {
    return this.consumers.get(name)?.inputQuiet(topic, partition, withinMs) ?? false;
  }

  /** Running or not, and which partitions wait for a dependency (then: degraded, with since when and why). */
  health(name: string): CheckResult {
    const consumer = this.consumers.get(name);
    if (!consumer?.isRunning) return { ok: false, detail: 'stopped' };
    const waiting = consumer.waitingPartitions;
    if (waiting.length === 0) return { ok: true, detail: 'running' };
    const parts = waiting.map(
      (w) =>
        `${w.topic}[${w.partition}] since ${w.since.toISOString()} (${w.retries} retries: ${w.error.slice(0, 200)})`,
    );
    return { ok: true, degraded: true, detail: `waiting for a dependency: ${parts.join('; ')}` };
  }

  async startAll(): Promise<void> {
    for (const spec of this.specs) {
      if (this.consumers.has(spec.name)) continue;
      const consumer = new EventConsumer(this.kafka, {
        sessionTimeoutMs: this.config.kafkaSessionTimeoutMs,
        ...spec,
        dlqProducer: this.producer,
        logger: this.logger,
      });
      try {
        await consumer.start();
      } catch (err) {
        await consumer.stop().catch(() => undefined);
        throw err;
      }
      this.consumers.set(spec.name, consumer);
      this.logger.info('consumer started', {
        consumer: spec.name,
        groupId: spec.groupId,
        topics: spec.topics,
      });
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.consumers.entries()].map(async ([name, c]) => {
        await c.stop().catch((err) => this.logger.error('consumer stop failed', { consumer: name, err }));
        this.logger.info('consumer stopped', { consumer: name });
      }),
    );
    this.consumers.clear();
  }
}
