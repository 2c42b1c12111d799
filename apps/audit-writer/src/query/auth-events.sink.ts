import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import type { AuthEventsSink, AuthRequestInfo } from '@vigil/auth';
import type { VerifiedToken } from '@vigil/auth';
import { createEvent, topicOf, type EventEnvelope, type TokenValidationFailure } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { LOGGER } from '@vigil/runtime';
import { currentContext } from '@vigil/telemetry';

/** Refused tokens and denied roles at the audit API become TOKEN_VALIDATION_FAILED / ACCESS_DENIED. */
@Injectable()
export class AuditApiAuthEvents implements AuthEventsSink {
  constructor(
    private readonly producer: EventProducer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async tokenRejected(e: { failure: TokenValidationFailure; kid?: string; subject?: string; request: AuthRequestInfo }): Promise<void> {
    await this.publish(
      createEvent('TOKEN_VALIDATION_FAILED', {
        producer: 'audit-writer',
        ...(e.subject ? { subject: { userId: e.subject } } : {}),
        source: source(e.request),
        outcome: 'denied',
        reason: e.failure,
        requestId: currentContext()?.requestId,
        attributes: { failure: e.failure, ...(e.kid ? { kid: e.kid } : {}) },
      }) as EventEnvelope,
    );
  }

  async accessDenied(e: { principal: VerifiedToken; requiredRoles: string[]; request: AuthRequestInfo }): Promise<void> {
    await this.publish(
      createEvent('ACCESS_DENIED', {
        producer: 'audit-writer',
        actor: { userId: e.principal.sub, roles: e.principal.roles },
        subject: { userId: e.principal.sub },
        source: source(e.request),
        outcome: 'denied',
        reason: 'missing_role',
        requestId: currentContext()?.requestId,
        attributes: { route: e.request.route, method: e.request.method as never, requiredRoles: e.requiredRoles },
      }) as EventEnvelope,
    );
  }

  private async publish(event: EventEnvelope): Promise<void> {
    await this.producer.publish(topicOf(event.type), [event]).catch((err) => this.logger.warn('auth event not published', { err, type: event.type }));
  }
}

function source(r: AuthRequestInfo): { ip?: string; userAgent?: string } {
  return { ...(r.ip ? { ip: r.ip } : {}), ...(r.userAgent ? { userAgent: r.userAgent.slice(0, 512) } : {}) };
}
