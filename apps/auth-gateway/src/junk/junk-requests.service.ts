import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import { JunkRecorder } from '@vigil/auth';
import type { EventEnvelope, JunkRequestsAggregatedAttributes } from '@vigil/contracts';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gatewayEvent } from '../events/gateway-event.factory';
import { StandaloneEvents } from '../events/standalone-events';

/**
 * The gateway's junk recorder (issue 14 item 10; the bookkeeping is @vigil/auth's JunkRecorder):
 * full events and window aggregates go to the outbox, so the aggregates of a graceful stop are
 * written before the pool and the relay stop.
 */
@Injectable()
export class JunkRequests extends JunkRecorder {
  constructor(
    private readonly events: StandaloneEvents,
    @Inject(SERVICE_CONFIG) config: AuthGatewayConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super({
      windowSeconds: config.junkWindowSeconds,
      throttleThreshold: config.junkThrottleThreshold,
      maxTrackedClients: config.junkMaxTrackedClients,
      meter: 'vigil.gateway',
      logger,
    });
  }

  protected publish(events: EventEnvelope[]): Promise<void> {
    return this.events.emitAll(events);
  }

  protected aggregateEvent(
    attributes: JunkRequestsAggregatedAttributes,
    address: string | undefined,
  ): EventEnvelope {
    return gatewayEvent('JUNK_REQUESTS_AGGREGATED', {
      outcome: 'denied',
      reason: 'aggregated',
      attributes,
      ...(address ? { meta: { ip: address } } : {}),
    });
  }
}
