import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { clientIp } from '@vigil/auth';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gatewayEvent } from '../events/event-builder';
import { RateLimitedException } from '../http/problems';
import { canonicalPath, routeTemplateOf } from '../http/request-meta';
import { JunkRequests } from './junk-requests.service';

/**
 * The first guard on the API: a client over the junk threshold in its window (junk bearer or
 * refresh tokens, requests while blocked) gets 429 with Retry-After until the window ends, before
 * any token verification or database work. The 429s are junk too: the first is a RATE_LIMITED
 * event, the rest are counted into the window's aggregate. Health, metrics, JWKS and the docs are
 * not throttled.
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
    const path = canonicalPath(req.path);
    if (!path.startsWith('/api/') || path.startsWith('/api/v1/health') || path.startsWith('/api/docs'))
      return true;
    const ip = clientIp(req);
    const wait = this.junk.retryAfter(ip);
    if (wait === undefined) return true;
    const route = routeTemplateOf(req);
    await this.junk.record('throttled', ip, { reason: 'rate_limited', route }, () =>
      gatewayEvent('RATE_LIMITED', {
        outcome: 'denied',
        reason: 'junk_throttled',
        attributes: { route, scope: 'ip', retryAfterSeconds: Math.min(wait, 86_400) },
        meta: { ip, userAgent: req.header('user-agent') ?? undefined },
      }),
    );
    const c = this.config;
    throw new RateLimitedException(wait, {
      limit: c.junkThrottleThreshold,
      remaining: 0,
      resetSeconds: wait,
      windowSeconds: c.junkWindowSeconds,
    });
  }
}
