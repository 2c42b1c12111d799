import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import type { EventEnvelope } from '@vigil/contracts';
import { Db } from '@vigil/database';
import { EventProducer } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';

/**
 * Writes events that are not part of a state change (refused tokens, 403s, 429s, 5xx, junk
 * aggregates) to the outbox on their own. If the database itself is down (a 5xx), the events go
 * straight to Kafka instead, best effort, and are counted when both fail.
 */
@Injectable()
export class StandaloneEvents {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  emit(event: EventEnvelope): Promise<void> {
    return this.emitAll([event]);
  }

  /** Several events in one outbox statement (or one Kafka batch). */
  async emitAll(events: EventEnvelope[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.outbox.append(this.db, events);
      this.outbox.written();
    } catch (dbErr) {
      const ids = events.slice(0, 10).map((e) => e.id);
      try {
        await this.producer.publish(this.config.authEventsTopic, events);
        this.logger.warn('outbox unavailable; events published directly', {
          eventIds: ids,
          count: events.length,
          err: dbErr,
        });
      } catch (kafkaErr) {
        for (const e of events) gatewayMetrics().eventsDropped.add(1, { type: e.type });
        this.logger.error('events lost: neither the outbox nor Kafka took them', {
          eventIds: ids,
          count: events.length,
          dbErr,
          kafkaErr,
        });
      }
    }
  }
}
