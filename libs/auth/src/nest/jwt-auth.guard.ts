import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { metrics } from '@opentelemetry/api';
import type { Request, Response } from 'express';
import { TokenValidationFailure } from '@vigil/contracts';
import { KeySetUnavailableError, TokenVerificationError, type TokenVerifier } from '../verified-token';
import type { AuthEventsSink, AuthRequestInfo, RevocationCheck } from './auth-events-sink';
import { markAudited, principalOf, requestInfo, setPrincipal } from './request-info';
import { AUTH_EVENTS_SINK, REVOCATION_CHECK, ROLES_KEY, TOKEN_VERIFIER } from './tokens';

const REALM = 'Bearer realm="vigil"';
const PROBLEMS = 'https://vigil.dev/problems';
let sinkFailures: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']> | undefined;

/** The bearer token of an Authorization header; null when the header is there but not a bearer. */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined || header === '') return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
  return m ? m[1] : null;
}

async function report(logger: Logger, what: string, fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (err) {
    sinkFailures ??= metrics.getMeter('vigil.auth').createCounter('auth.events_sink.failures', {
      description: 'Guard events the app sink failed to record',
    });
    sinkFailures.add(1, { event: what });
    logger.error(`auth events sink failed (${what}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Requires a valid access token: 401 with `WWW-Authenticate: Bearer` and a problem body when it is
 * missing or invalid (reported to the AuthEventsSink as TOKEN_VALIDATION_FAILED material), 503 when
 * the issuer's keys cannot be fetched. The principal is then available through `@Principal()`.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly logger = new Logger('JwtAuthGuard');

  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    @Optional() @Inject(AUTH_EVENTS_SINK) private readonly sink?: AuthEventsSink,
    @Optional() @Inject(REVOCATION_CHECK) private readonly revocation?: RevocationCheck,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    if (principalOf(req)) return true; // guarded twice (class and handler)
    const token = bearerToken(req.header('authorization'));
    if (token === undefined || token === null) {
      res.setHeader('WWW-Authenticate', token === null ? `${REALM}, error="invalid_request"` : REALM);
      throw new UnauthorizedException({
        type: `${PROBLEMS}/unauthorized`,
        title: 'Unauthorized',
        detail: 'a bearer access token is required',
      });
    }
    try {
      const principal = await this.verifier.verify(token);
      if (this.revocation && (await this.revocation.isRevoked(principal, req))) {
        throw new TokenVerificationError(TokenValidationFailure.REVOKED, principal.kid, principal.sub);
      }
      setPrincipal(req, principal);
      return true;
    } catch (err) {
      if (err instanceof TokenVerificationError) {
        const request = requestInfo(req);
        if (this.sink)
          await report(this.logger, 'token_rejected', () =>
            this.sink!.tokenRejected({ failure: err.failure, kid: err.kid, subject: err.subject, request }),
          );
        res.setHeader('WWW-Authenticate', `${REALM}, error="invalid_token"`);
        const detail =
          err.failure === TokenValidationFailure.EXPIRED
            ? 'the access token has expired'
            : 'the access token is invalid';
        throw markAudited(
          new UnauthorizedException({ type: `${PROBLEMS}/invalid-token`, title: 'Unauthorized', detail }),
        );
      }
      if (err instanceof KeySetUnavailableError) {
        this.logger.error(err.message);
        throw new ServiceUnavailableException({
          type: `${PROBLEMS}/keys-unavailable`,
          title: 'Service Unavailable',
          detail: 'token keys are unavailable; retry shortly',
        });
      }
      throw err;
    }
  }
}

/**
 * Requires one of the roles named by `@Roles(...)`: 403 otherwise, reported to the AuthEventsSink
 * (ACCESS_DENIED) and marked as audited so an app-wide 403 filter does not report it again.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly logger = new Logger('RolesGuard');

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(AUTH_EVENTS_SINK) private readonly sink?: AuthEventsSink,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!required || required.length === 0) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const principal = principalOf(req);
    if (!principal) {
      ctx.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', REALM);
      throw new UnauthorizedException({
        type: `${PROBLEMS}/unauthorized`,
        title: 'Unauthorized',
        detail: 'a bearer access token is required',
      });
    }
    if (principal.roles.some((r) => required.includes(r))) return true;
    const request: AuthRequestInfo = requestInfo(req);
    if (this.sink)
      await report(this.logger, 'access_denied', () =>
        this.sink!.accessDenied({ principal, requiredRoles: required, request }),
      );
    throw markAudited(
      new ForbiddenException({
        type: `${PROBLEMS}/forbidden`,
        title: 'Forbidden',
        detail: `requires one of the roles: ${required.join(', ')}`,
      }),
    );
  }
}
