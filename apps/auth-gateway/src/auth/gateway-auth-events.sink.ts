import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthEventsSink, AuthRequestInfo } from '@vigil/auth';
import type { TokenValidationFailure } from '@vigil/contracts';
import { gatewayEvent } from '../events/gateway-event.factory';
import { StandaloneEvents } from '../events/standalone-events';
import { clientIpOf, methodOf } from '../http/request-meta';
import { JunkRequests } from '../junk/junk-requests.service';

const KID = /^[A-Za-z0-9._:@-]{1,128}$/;
const ROUTE = /^\/[^?#\s]{0,255}$/;

function routeOfInfo(r: AuthRequestInfo): string {
  return ROUTE.test(r.route) ? r.route : '/';
}

/**
 * The @vigil/auth guards' hook: TOKEN_VALIDATION_FAILED and ACCESS_DENIED through the outbox. A
 * refused token is junk anyone can send at no cost: the first per client and window is recorded
 * in full, the rest are counted into one JUNK_REQUESTS_AGGREGATED (see JunkRequests).
 */
@Injectable()
export class GatewayAuthEventsSink implements AuthEventsSink {
  constructor(
    private readonly events: StandaloneEvents,
    private readonly junk: JunkRequests,
  ) {}

  async tokenRejected(e: {
    failure: TokenValidationFailure;
    kid?: string;
    subject?: string;
    request: AuthRequestInfo;
  }): Promise<void> {
    const ip = clientIpOf(e.request.raw as Request);
    await this.junk.record('bearer_token', ip, { reason: e.failure, route: routeOfInfo(e.request) }, () =>
      gatewayEvent('TOKEN_VALIDATION_FAILED', {
        ...(e.subject && KID.test(e.subject) ? { subject: { userId: e.subject } } : {}),
        outcome: 'denied',
        reason: 'invalid_token',
        attributes: { failure: e.failure, ...(e.kid && KID.test(e.kid) ? { kid: e.kid } : {}) },
        meta: { ip, userAgent: e.request.userAgent },
      }),
    );
  }

  async accessDenied(e: {
    principal: { sub: string; roles: string[] };
    requiredRoles: string[];
    request: AuthRequestInfo;
  }): Promise<void> {
    await this.events.emit(
      gatewayEvent('ACCESS_DENIED', {
        actor: { userId: e.principal.sub, roles: e.principal.roles },
        subject: { userId: e.principal.sub },
        outcome: 'denied',
        reason: 'missing_role',
        attributes: {
          route: routeOfInfo(e.request),
          method: methodOf(e.request.method),
          requiredRoles: e.requiredRoles,
        },
        meta: { ip: clientIpOf(e.request.raw as Request), userAgent: e.request.userAgent },
      }),
    );
  }
}
