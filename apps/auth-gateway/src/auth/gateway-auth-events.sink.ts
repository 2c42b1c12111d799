import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import type { AuthEventsSink, AuthRequestInfo } from '@vigil/auth';
import { HTTP_METHODS, type EventEnvelope, type HttpMethod, type TokenValidationFailure } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { Db } from '../db/db';
import { gatewayEvent } from '../events/event-builder';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';

const KID = /^[A-Za-z0-9._:@-]{1,128}$/;
const ROUTE = /^\/[^?#\s]{0,255}$/;

export function methodOf(m: string): HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(m) ? (m as HttpMethod) : 'GET';
}
export function routeOfInfo(r: AuthRequestInfo): string {
  return ROUTE.test(r.route) ? r.route : '/';
}

/**
 * Writes events that are not part of a state change (refused tokens, 403s, 429s, 5xx) to the
 * outbox on their own. If the database itself is down (a 5xx), the event goes straight to Kafka
 * instead, best effort, and is counted when both fail.
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

  async emit(event: EventEnvelope): Promise<void> {
    try {
      await this.outbox.append(this.db, [event]);
      this.outbox.written();
    } catch (dbErr) {
      try {
        await this.producer.publish(this.config.authEventsTopic, [event]);
        this.logger.warn('outbox unavailable; event published directly', { eventId: event.id, type: event.type, err: dbErr });
      } catch (kafkaErr) {
        gatewayMetrics().eventsDropped.add(1, { type: event.type });
        this.logger.error('event lost: neither the outbox nor Kafka took it', { eventId: event.id, type: event.type, dbErr, kafkaErr });
      }
    }
  }
}

/** The @vigil/auth guards' hook: TOKEN_VALIDATION_FAILED and ACCESS_DENIED through the outbox. */
@Injectable()
export class GatewayAuthEventsSink implements AuthEventsSink {
  constructor(private readonly events: StandaloneEvents) {}

  async tokenRejected(e: { failure: TokenValidationFailure; kid?: string; subject?: string; request: AuthRequestInfo }): Promise<void> {
    await this.events.emit(
      gatewayEvent('TOKEN_VALIDATION_FAILED', {
        ...(e.subject && KID.test(e.subject) ? { subject: { userId: e.subject } } : {}),
        outcome: 'denied',
        reason: 'invalid_token',
        attributes: { failure: e.failure, ...(e.kid && KID.test(e.kid) ? { kid: e.kid } : {}) },
        meta: { ip: e.request.ip, userAgent: e.request.userAgent },
      }),
    );
  }

  async accessDenied(e: { principal: { sub: string; roles: string[] }; requiredRoles: string[]; request: AuthRequestInfo }): Promise<void> {
    await this.events.emit(
      gatewayEvent('ACCESS_DENIED', {
        actor: { userId: e.principal.sub, roles: e.principal.roles },
        subject: { userId: e.principal.sub },
        outcome: 'denied',
        reason: 'missing_role',
        attributes: { route: routeOfInfo(e.request), method: methodOf(e.request.method), requiredRoles: e.requiredRoles },
        meta: { ip: e.request.ip, userAgent: e.request.userAgent },
      }),
    );
  }
}
