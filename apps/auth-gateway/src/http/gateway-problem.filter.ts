import { ArgumentsHost, Catch, HttpException, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'winston';
import { isAudited, principalOf } from '@vigil/auth';
import { isDependencyFailure, LOGGER, ProblemFilter } from '@vigil/runtime';
import { StandaloneEvents } from '../events/standalone-events';
import { gatewayEvent } from '../events/gateway-event.factory';
import { InMaintenanceException, RateLimitedException } from './problems';
import { clientIpOf, methodOf, routeTemplateOf } from './request-meta';

/**
 * Bound on every gateway controller (`@UseFilters`): route-level filters run before the runtime's
 * global one, which an APP_FILTER would not. The runtime's problem+json filter, plus seed 000-04: every 403, 429 and 5xx becomes an event
 * (ACCESS_DENIED, RATE_LIMITED, SERVER_ERROR) unless the code that refused already wrote a richer
 * one. 5xx events carry the exception's class name, never its message (it may quote input).
 */
@Catch()
@Injectable()
export class GatewayProblemFilter extends ProblemFilter {
  constructor(
    @Inject(LOGGER) logger: Logger,
    private readonly events: StandaloneEvents,
  ) {
    super(logger);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    if (
      (exception instanceof RateLimitedException || exception instanceof InMaintenanceException) &&
      !res.headersSent
    ) {
      for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
    }
    const status = statusOf(exception);
    if ((status === 403 || status === 429 || status >= 500) && !isAudited(exception)) {
      void this.audit(exception, status, req).catch(() => undefined);
    }
    this.respond(exception, host);
  }

  /** Writes the answer: problem+json here; the OAuth endpoints answer in RFC 6749 §5.2's shape instead. */
  protected respond(exception: unknown, host: ArgumentsHost): void {
    super.catch(exception, host);
  }

  private async audit(exception: unknown, status: number, req: Request): Promise<void> {
    const route = routeTemplateOf(req);
    const method = methodOf(req.method);
    const principal = principalOf(req);
    const actor = principal
      ? { actor: { userId: principal.sub, roles: principal.roles }, subject: { userId: principal.sub } }
      : {};
    const meta = { ip: clientIpOf(req), userAgent: req.header('user-agent') ?? undefined };
    const event =
      status === 403
        ? gatewayEvent('ACCESS_DENIED', {
            ...actor,
            outcome: 'denied',
            reason: 'forbidden',
            attributes: { route, method, requiredRoles: [] },
            meta,
          })
        : status === 429
          ? gatewayEvent('RATE_LIMITED', {
              ...actor,
              outcome: 'denied',
              reason: 'rate_limited',
              attributes: { route, scope: 'ip', retryAfterSeconds: 0 },
              meta,
            })
          : gatewayEvent('SERVER_ERROR', {
              ...actor,
              outcome: 'error',
              reason: 'internal_error',
              attributes: {
                route,
                method,
                status: Math.min(599, status),
                ...(errorName(exception) ? { errorName: errorName(exception) } : {}),
              },
              meta,
            });
    await this.events.emit(event);
  }
}

function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  if (isDependencyFailure(exception)) return 503;
  const s = (exception as { status?: unknown })?.status;
  return typeof s === 'number' && s >= 400 && s < 600 && (exception as { type?: unknown }).type ? s : 500;
}

function errorName(exception: unknown): string | undefined {
  const name = (exception as { constructor?: { name?: string } })?.constructor?.name;
  return name && /^[A-Za-z_$][A-Za-z0-9_$.]{0,99}$/.test(name) ? name : undefined;
}
