import { Injectable } from '@nestjs/common';
import type { AuthEventsSink, AuthRequestInfo, VerifiedToken } from '@vigil/auth';
import { createEvent, type EventEnvelope, type TokenValidationFailure } from '@vigil/contracts';
import { currentContext } from '@vigil/telemetry';
import { SERVICE } from '../config';
import { AuditApiJunk, sourceOf } from './audit-api-junk';

const KID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * Refused tokens and denied roles at the audit API become TOKEN_VALIDATION_FAILED / ACCESS_DENIED.
 * A refused token is junk anyone can send at no cost: the first per client and window is published
 * in full, the rest are counted into one JUNK_REQUESTS_AGGREGATED (AuditApiJunk).
 */
@Injectable()
export class AuditApiAuthEvents implements AuthEventsSink {
  constructor(private readonly junk: AuditApiJunk) {}

  async tokenRejected(e: {
    failure: TokenValidationFailure;
    kid?: string;
    subject?: string;
    request: AuthRequestInfo;
  }): Promise<void> {
    const r = e.request;
    await this.junk.record(
      'bearer_token',
      r.ip,
      { reason: e.failure, route: r.route },
      () =>
        createEvent('TOKEN_VALIDATION_FAILED', {
          producer: SERVICE,
          ...(e.subject && KID.test(e.subject) ? { subject: { userId: e.subject } } : {}),
          ...sourceOf(r.ip, r.userAgent),
          outcome: 'denied',
          reason: e.failure,
          requestId: currentContext()?.requestId,
          attributes: { failure: e.failure, ...(e.kid && KID.test(e.kid) ? { kid: e.kid } : {}) },
        }) as EventEnvelope,
    );
  }

  async accessDenied(e: {
    principal: VerifiedToken;
    requiredRoles: string[];
    request: AuthRequestInfo;
  }): Promise<void> {
    await this.junk.emit([
      createEvent('ACCESS_DENIED', {
        producer: SERVICE,
        actor: { userId: e.principal.sub, roles: e.principal.roles },
        subject: { userId: e.principal.sub },
        ...sourceOf(e.request.ip, e.request.userAgent),
        outcome: 'denied',
        reason: 'missing_role',
        requestId: currentContext()?.requestId,
        attributes: {
          route: e.request.route,
          method: e.request.method as never,
          requiredRoles: e.requiredRoles,
        },
      }) as EventEnvelope,
    ]);
  }
}
