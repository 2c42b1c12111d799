/*
 * OAuth 2.0 client registrations (RFC 6749 §2), from configuration: OAUTH_CLIENTS (JSON) or
 * OAUTH_CLIENTS_FILE. Pure: parsing and the rules on what a client may do. A confidential client's
 * secret is configured as an Argon2 hash only (PHC string), never in clear.
 */

export type GrantType = 'password' | 'refresh_token';
export type ClientType = 'public' | 'confidential';
export type AccessTokenAlg = 'EdDSA' | 'ES256';

export const SUPPORTED_GRANTS: readonly GrantType[] = ['password', 'refresh_token'];

export interface OAuthClient {
  clientId: string;
  type: ClientType;
  /** Argon2 PHC string of the secret (confidential clients only). */
  secretHash?: string;
  grantTypes: GrantType[];
  /** Access tokens issued to this client are signed with this algorithm (default: SIGNING_ALG). */
  accessTokenAlg?: AccessTokenAlg;
  /** May call the introspection endpoint (RFC 7662; confidential clients only). */
  introspection: boolean;
  /** The implicit client of requests that name none (seed 001's curl): not configured, documented. */
  implicit?: boolean;
}

/** Requests with no client identification (seed 001-55's form body, the CLI, scripts). */
export const IMPLICIT_CLIENT_ID = 'vigil-implicit';

export function implicitClient(): OAuthClient {
  return {
    clientId: IMPLICIT_CLIENT_ID,
    type: 'public',
    grantTypes: ['password', 'refresh_token'],
    introspection: false,
    implicit: true,
  };
}

const CLIENT_ID = /^[\x21-\x7e]{1,100}$/; // RFC 6749 Appendix A.1: VSCHAR, bounded
const ARGON2_PHC = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const KNOWN_FIELDS = new Set([
  'client_id',
  'type',
  'client_secret_hash',
  'grant_types',
  'access_token_alg',
  'introspection',
  'description',
]);

/**
 * Parses the JSON array of registrations. Every problem names the variable and the client (never a
 * value that could be a secret); all problems are reported at once.
 */
export function parseOAuthClients(
  raw: string,
  variable = 'OAUTH_CLIENTS',
  opts: { algs?: readonly AccessTokenAlg[] } = {},
): { clients?: OAuthClient[]; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { problems: [`${variable} must be a JSON array of client registrations (it is not valid JSON)`] };
  }
  if (!Array.isArray(parsed))
    return { problems: [`${variable} must be a JSON array of client registrations`] };
  const problems: string[] = [];
  const clients: OAuthClient[] = [];
  const seen = new Set<string>();
  parsed.forEach((entry: unknown, i) => {
    const at = `${variable}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const id = e.client_id;
    if (typeof id !== 'string' || !CLIENT_ID.test(id)) {
      problems.push(`${at}.client_id must be 1-100 printable ASCII characters without spaces`);
      return;
    }
    const name = `${variable} client "${id}"`;
    if (seen.has(id)) problems.push(`${name} is registered twice`);
    seen.add(id);
    if (id === IMPLICIT_CLIENT_ID)
      problems.push(`${name}: this client_id is reserved for requests naming no client`);
    if ('client_secret' in e)
      problems.push(
        `${name} has client_secret: configure client_secret_hash (an Argon2id hash of the secret), never the secret itself`,
      );
    const unknown = Object.keys(e).filter((k) => !KNOWN_FIELDS.has(k) && k !== 'client_secret');
    if (unknown.length) problems.push(`${name} has unknown fields: ${unknown.join(', ')}`);
    const type = e.type;
    if (type !== 'public' && type !== 'confidential') {
      problems.push(`${name}: type must be "public" or "confidential"`);
      return;
    }
    const hash = e.client_secret_hash;
    if (type === 'confidential') {
      if (typeof hash !== 'string' || !ARGON2_PHC.test(hash))
        problems.push(
          `${name}: a confidential client needs client_secret_hash, an Argon2 PHC string ($argon2id$...)`,
        );
    } else if (hash !== undefined) {
      problems.push(
        `${name}: a public client has no secret (remove client_secret_hash, or make it confidential)`,
      );
    }
    let grants: GrantType[] = [...SUPPORTED_GRANTS];
    if (e.grant_types !== undefined) {
      if (!Array.isArray(e.grant_types) || e.grant_types.some((g) => typeof g !== 'string')) {
        problems.push(`${name}: grant_types must be an array of strings`);
      } else {
        const bad = (e.grant_types as string[]).filter((g) => !SUPPORTED_GRANTS.includes(g as GrantType));
        if (bad.length)
          problems.push(
            `${name}: unsupported grant_types ${bad.join(', ')} (supported: ${SUPPORTED_GRANTS.join(', ')})`,
          );
        grants = [...new Set(e.grant_types as GrantType[])];
      }
    }
    const alg = e.access_token_alg;
    if (alg !== undefined && alg !== 'EdDSA' && alg !== 'ES256')
      problems.push(`${name}: access_token_alg must be EdDSA or ES256`);
    else if (alg !== undefined && opts.algs && !opts.algs.includes(alg))
      problems.push(
        `${name}: access_token_alg ${alg} has no keys: add it to SIGNING_ALG or SIGNING_ADDITIONAL_ALGS`,
      );
    const introspection = e.introspection ?? false;
    if (typeof introspection !== 'boolean') problems.push(`${name}: introspection must be true or false`);
    else if (introspection && type !== 'confidential')
      problems.push(`${name}: only a confidential client may introspect tokens (RFC 7662 §4)`);
    clients.push({
      clientId: id,
      type,
      ...(type === 'confidential' && typeof hash === 'string' ? { secretHash: hash } : {}),
      grantTypes: grants,
      ...(alg === 'EdDSA' || alg === 'ES256' ? { accessTokenAlg: alg } : {}),
      introspection: introspection === true,
    });
  });
  return problems.length ? { problems } : { clients, problems };
}

/** Whether the client may use the grant (RFC 6749 §5.2 unauthorized_client otherwise). */
export function mayUseGrant(client: OAuthClient, grant: GrantType): boolean {
  return client.grantTypes.includes(grant);
}
