import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gatewayEvent } from '../events/gateway-event.factory';
import { RateLimitedException } from '../http/problems';
import { JunkRequests } from './junk-requests.service';

/**
 * The first guard on the API: a client over the junk threshold in its window (junk bearer or
 * refresh tokens, requests while blocked) gets 429 with Retry-After until the window ends, before
 * any token verification or database work. The 429s are junk too: the first is a RATE_LIMITED
 * event, the rest are counted into the window's aggregate. Health, metrics, JWKS and the docs are
 * not throttled (junkThrottleApplies).
 */
@Injectable()
export class JunkThrottleGuard implements CanActivate {
  constructor(
    private readonly junk: JunkRequests,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const refused = await this.junk.refuseThrottled(req, (r) =>
      gatewayEvent('RATE_LIMITED', {
        outcome: 'denied',
        reason: 'junk_throttled',
        attributes: { route: r.route, scope: 'ip', retryAfterSeconds: r.retryAfterSeconds },
        meta: { ip: r.ip, userAgent: req.header('user-agent') ?? undefined },
      }),
    );
    if (!refused) return true;
    const c = this.config;
    throw new RateLimitedException(refused.retryAfterSeconds, {
      limit: c.junkThrottleThreshold,
      remaining: 0,
      resetSeconds: refused.retryAfterSeconds,
      windowSeconds: c.junkWindowSeconds,
    });
  }
}
