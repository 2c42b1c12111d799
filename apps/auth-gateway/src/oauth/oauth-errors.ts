/*
 * RFC 6749 §5.2 error responses for the OAuth endpoints (token, revocation, introspection), and the
 * mapping of the gateway's own refusals onto them: problem+json stays on every other endpoint.
 */
import { HttpException } from '@nestjs/common';
import { isAudited, markAudited } from '@vigil/auth';
import { isDependencyFailure } from '@vigil/runtime';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'access_denied'
  | 'temporarily_unavailable'
  | 'server_error';

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description?: string;
  error_uri?: string;
}

const PROBLEMS = 'https://vigil.dev/problems';

/** An OAuth error with its HTTP status (400 unless the RFC or the situation says otherwise). */
export class OAuthError extends HttpException {
  readonly headers: Record<string, string>;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description?: string,
    status = 400,
    opts: { headers?: Record<string, string>; uri?: string } = {},
  ) {
    super(
      {
        error: code,
        ...(description ? { error_description: description } : {}),
        ...(opts.uri ? { error_uri: opts.uri } : {}),
      } satisfies OAuthErrorBody,
      status,
    );
    this.headers = opts.headers ?? {};
  }

  get body(): OAuthErrorBody {
    return this.getResponse() as OAuthErrorBody;
  }

  static invalidRequest(description: string): OAuthError {
    return new OAuthError('invalid_request', description);
  }

  /**
   * RFC 6749 §5.2: 401 when the client tried the Authorization header (with WWW-Authenticate), else
   * 401 too: a client that names itself and fails to prove it is not a malformed request.
   */
  static invalidClient(description: string, viaHeader: boolean): OAuthError {
    return new OAuthError('invalid_client', description, 401, {
      headers: {
        'WWW-Authenticate': viaHeader ? 'Basic realm="vigil", charset="UTF-8"' : 'Basic realm="vigil"',
      },
    });
  }
}

/**
 * The OAuth error for anything a token, revocation or introspection request ended with. The
 * gateway's login refusals become `invalid_grant` (400), as RFC 6749 §5.2 says for wrong resource
 * owner credentials and bad refresh tokens; waits and maintenance keep their 429/503 and Retry-After.
 */
export function toOAuthError(exception: unknown): OAuthError {
  if (exception instanceof OAuthError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const payload = exception.getResponse();
    const body = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
    const type = typeof body.type === 'string' ? body.type : '';
    const detail =
      typeof body.detail === 'string'
        ? body.detail
        : Array.isArray(body.message)
          ? body.message.filter((m) => typeof m === 'string').join('; ')
          : typeof body.message === 'string'
            ? body.message
            : undefined;
    const mapped = (() => {
      switch (type) {
        case `${PROBLEMS}/invalid-credentials`:
          return new OAuthError('invalid_grant', 'invalid username or password');
        case `${PROBLEMS}/invalid-grant`:
          return new OAuthError('invalid_grant', 'the refresh token is invalid or expired');
        case `${PROBLEMS}/password-change-required`:
          // Keycloak answers a required action the same way: the grant cannot be used as it is.
          return new OAuthError('invalid_grant', detail, 400, { uri: type });
        case `${PROBLEMS}/ip-blocked`:
          return new OAuthError('access_denied', detail, 403);
        case `${PROBLEMS}/too-many-requests`:
          return new OAuthError('temporarily_unavailable', detail, 429);
        case `${PROBLEMS}/maintenance`:
          return new OAuthError('temporarily_unavailable', detail, 503);
        default:
          return undefined;
      }
    })();
    if (mapped) return copyAudit(exception, mapped);
    if (status === 401) return copyAudit(exception, new OAuthError('invalid_client', detail, 401));
    if (status === 403) return copyAudit(exception, new OAuthError('access_denied', detail, 403));
    if (status === 429) return copyAudit(exception, new OAuthError('temporarily_unavailable', detail, 429));
    if (status === 503)
      return copyAudit(exception, new OAuthError('temporarily_unavailable', undefined, 503));
    if (status >= 400 && status < 500)
      return new OAuthError('invalid_request', detail ?? 'malformed request', status === 413 ? 413 : 400);
  }
  const status = (exception as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (exception as { type?: unknown }).type)
    return new OAuthError('invalid_request', 'malformed request body', status === 413 ? 413 : 400); // body parser
  // PostgreSQL or the broker away for a moment: try again later, as for maintenance (RFC 6749 §5.2).
  if (isDependencyFailure(exception)) return new OAuthError('temporarily_unavailable', undefined, 503);
  return new OAuthError('server_error', undefined, 500);
}

/** The refusal's event is already written (markAudited): the OAuth form of it is too. */
function copyAudit(from: unknown, to: OAuthError): OAuthError {
  return isAudited(from) ? markAudited(to) : to;
}
