import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { gatewayEvent } from '../events/gateway-event.factory';
import { ipBlocked } from '../http/problems';
import { canonicalPath, clientIpOf, methodOf, routeTemplateOf } from '../http/request-meta';
import { JunkRequests } from '../junk/junk-requests.service';
import { IpBlocksRepository } from './ip-blocks.repository';

/**
 * BLOCK_IP from the security monitor (fail2ban's role, seed 003), or an admin's block of an address
 * or network (POST /api/v1/admin/ip-blocks, seeds 000-39, 003-25): requests to the API from a
 * blocked address get 403 and an ACCESS_DENIED event, on every instance (the block lives in
 * PostgreSQL); repeats within a window are counted into one aggregate (JunkRequests). Health,
 * metrics and the JWKS stay reachable.
 */
@Injectable()
export class IpBlockGuard implements CanActivate {
  constructor(
    private readonly blocks: IpBlocksRepository,
    private readonly junk: JunkRequests,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const path = canonicalPath(req.path);
    if (!path.startsWith('/api/') || path.startsWith('/api/v1/health') || path.startsWith('/api/docs'))
      return true;
    const ip = clientIpOf(req);
    if (!ip) return true;
    if (!(await this.blocks.blockedUntil(ip))) return true;
    const route = routeTemplateOf(req);
    await this.junk.record('blocked_ip', ip, { reason: 'ip_blocked', route }, () =>
      gatewayEvent('ACCESS_DENIED', {
        outcome: 'denied',
        reason: 'ip_blocked',
        attributes: { route, method: methodOf(req.method), requiredRoles: [] },
        meta: { ip, userAgent: req.header('user-agent') ?? undefined },
      }),
    );
    throw ipBlocked();
  }
}
