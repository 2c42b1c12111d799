import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { JwtAuthGuard } from '@vigil/auth';
import { answerWithProblems } from './oauth-error.filter';

/**
 * `POST /api/v1/auth/revoke` has two forms. Seed 001-56's: a bearer token and no body (or a refresh
 * token of the bearer's in `token`), which revokes the bearer's own session and answers problem+json
 * like every bearer route. RFC 7009's: a form body with `token` (and `token_type_hint`), the client
 * authenticated by Basic header or identified by `client_id`, answered in RFC 6749 §5.2's shape. A
 * request with a bearer header, or with neither client credentials nor a token, is the first form.
 */
@Injectable()
export class RevocationAuthGuard implements CanActivate {
  /** The bearer form is JwtAuthGuard's (route inventories, e.g. the RBAC matrix, read this). */
  static readonly bearerGuard = JwtAuthGuard;

  constructor(private readonly bearer: JwtAuthGuard) {}

  canActivate(ctx: ExecutionContext): Promise<boolean> | boolean {
    const req = ctx.switchToHttp().getRequest<Request>();
    if (!isBearerForm(req)) return true;
    answerWithProblems(req);
    return this.bearer.canActivate(ctx);
  }
}

export function isBearerForm(req: Request): boolean {
  const authorization = req.header('authorization') ?? '';
  if (/^Bearer\b/i.test(authorization)) return true;
  if (/^Basic\b/i.test(authorization)) return false;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const has = (k: string) => body[k] !== undefined && body[k] !== '';
  return !has('token') && !has('client_id') && !has('client_secret');
}
