/*
 * Reading OAuth 2.0 requests (token, revocation, introspection) the way RFC 6749 §2.3.1, §3.1 and
 * §3.2 say: client credentials from the Authorization header (Basic, each part form-urlencoded) or
 * the body, never both; empty parameters are omitted ones; a repeated parameter is an error.
 * Pure: no Nest, no I/O.
 */
import { OAuthError } from './oauth-errors';
import { SUPPORTED_GRANTS, type GrantType } from './oauth-clients';

export interface PresentedClient {
  clientId?: string;
  secret?: string;
  /** How the client authenticated (RFC 8414 names). */
  method: 'client_secret_basic' | 'client_secret_post' | 'none';
}

const MAX_PARAM = 4096;

/** One parameter's value: undefined when absent or empty (§3.1), an error when repeated or not text. */
export function param(body: Record<string, unknown>, name: string, max = MAX_PARAM): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) throw OAuthError.invalidRequest(`parameter ${name} is repeated`);
  if (typeof v !== 'string') throw OAuthError.invalidRequest(`parameter ${name} must be a string`);
  if (v.length > max) throw OAuthError.invalidRequest(`parameter ${name} is too long`);
  return v;
}

/** `application/x-www-form-urlencoded` decoding of one Basic credential part (RFC 6749 §2.3.1). */
function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw OAuthError.invalidClient('malformed client credentials in the Authorization header', true);
  }
}

/** The client credentials presented: Basic header or body, never both (RFC 6749 §2.3.1). */
export function presentedClient(
  authorization: string | undefined,
  body: Record<string, unknown>,
): PresentedClient {
  const bodyId = param(body, 'client_id', 100);
  const bodySecret = param(body, 'client_secret', 1024);
  const basic = authorization ? /^Basic[ ]+([A-Za-z0-9+/]+=*)[ ]*$/i.exec(authorization) : null;
  if (authorization && /^Basic\b/i.test(authorization) && !basic)
    throw OAuthError.invalidClient('malformed Basic credentials', true);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw OAuthError.invalidClient('malformed Basic credentials', true);
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (bodySecret !== undefined)
      throw OAuthError.invalidRequest(
        'use one client authentication method: the Authorization header or the body',
      );
    if (bodyId !== undefined && bodyId !== clientId)
      throw OAuthError.invalidRequest('client_id in the body differs from the Authorization header');
    return { clientId, secret, method: 'client_secret_basic' };
  }
  if (bodySecret !== undefined) {
    if (bodyId === undefined) throw OAuthError.invalidRequest('client_secret without client_id');
    return { clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
  }
  return { ...(bodyId !== undefined ? { clientId: bodyId } : {}), method: 'none' };
}

export type TokenGrant =
  | { grant: 'password'; username: string; password: string; scope?: string }
  | { grant: 'refresh_token'; refreshToken: string; scope?: string };

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/; // RFC 6749 §3.3

/**
 * The grant a token request asks for. `grant_type` is required (RFC 6749 §4.3.2, §6), except from a
 * request naming no client at all (seed 001-55's `curl -d "username=...&password=..."`), read as the
 * password grant.
 */
export function tokenGrant(body: Record<string, unknown>, namedClient: boolean): TokenGrant {
  let grantType = param(body, 'grant_type', 100);
  if (grantType === undefined) {
    if (namedClient) throw OAuthError.invalidRequest('grant_type is required');
    grantType = 'password';
  }
  if (!SUPPORTED_GRANTS.includes(grantType as GrantType))
    throw new OAuthError(
      'unsupported_grant_type',
      `grant_type ${grantType.slice(0, 60)} is not supported (supported: ${SUPPORTED_GRANTS.join(', ')})`,
    );
  const scope = param(body, 'scope', 1000);
  if (scope !== undefined && !SCOPE.test(scope)) throw new OAuthError('invalid_scope', 'malformed scope');
  if (grantType === 'refresh_token') {
    const refreshToken = param(body, 'refresh_token', 200);
    if (refreshToken === undefined) throw OAuthError.invalidRequest('refresh_token is required');
    return { grant: 'refresh_token', refreshToken, ...(scope ? { scope } : {}) };
  }
  const username = param(body, 'username', 320);
  const password = param(body, 'password', 1024);
  if (username === undefined || password === undefined)
    throw OAuthError.invalidRequest('username and password are required');
  return { grant: 'password', username, password, ...(scope ? { scope } : {}) };
}
