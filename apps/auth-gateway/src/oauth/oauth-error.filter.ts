import { ArgumentsHost, Catch, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'winston';
import { DEPENDENCY_RETRY_AFTER_SECONDS, isDependencyFailure, LOGGER } from '@vigil/runtime';
import { currentContext } from '@vigil/telemetry';
import { StandaloneEvents } from '../events/standalone-events';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { toOAuthError } from './oauth-errors';

const PROBLEM_ANSWERS = Symbol.for('vigil.gateway.problemAnswers');

/** This request is answered in problem+json after all (seed 001-56's bearer-only revoke). */
export function answerWithProblems(req: Request): void {
  (req as unknown as Record<symbol, boolean>)[PROBLEM_ANSWERS] = true;
}

/**
 * The token, revocation and introspection endpoints answer errors as RFC 6749 §5.2 says
 * (`{"error", "error_description"}`, 400/401, `Cache-Control: no-store`), not as problem+json.
 * Everything else the gateway's filter does stays: 403/429/5xx become events, Retry-After and the
 * RateLimit fields are sent, 5xx never carry internals.
 */
@Catch()
@Injectable()
export class OAuthErrorFilter extends GatewayProblemFilter {
  constructor(
    @Inject(LOGGER) private readonly log: Logger,
    events: StandaloneEvents,
  ) {
    super(log, events);
  }

  protected override respond(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    if ((req as unknown as Record<symbol, boolean>)[PROBLEM_ANSWERS]) return super.respond(exception, host);
    const res = host.switchToHttp().getResponse<Response>();
    const error = toOAuthError(exception);
    if (error.getStatus() >= 500)
      this.log.error('request failed', { err: exception, status: error.getStatus(), path: req.path });
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
    if (isDependencyFailure(exception)) res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    const requestId = currentContext()?.requestId;
    res
      .status(error.getStatus())
      .setHeader('Cache-Control', 'no-store')
      .setHeader('Pragma', 'no-cache')
      .json({ ...error.body, ...(requestId ? { request_id: requestId } : {}) });
  }
}
