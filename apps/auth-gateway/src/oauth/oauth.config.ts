/*
 * The OAuth configuration of the gateway (issue 20): client registrations, the implicit client of
 * requests that name none, the public base URL of the metadata, and further signing algorithms.
 * Spread into the gateway's schema (config.ts); every problem names its variable.
 */
import { env, type Field } from '@vigil/config';
import { parseOAuthClients, type AccessTokenAlg, type OAuthClient } from './oauth-clients';

/**
 * OAUTH_CLIENTS: a JSON array of registrations, or OAUTH_CLIENTS_FILE naming a file holding it (a
 * mounted secret). Treated as a secret (redacted in the start-up dump) although it holds only hashes.
 */
const rawClients = env.string('OAUTH_CLIENTS', { optional: true, secret: true, maxLength: 200_000 });
const clientsField: Field<OAuthClient[]> = {
  variable: 'OAUTH_CLIENTS',
  secret: true,
  read(source) {
    const { value, problem } = rawClients.read(source);
    if (problem) return { problem };
    if (value === undefined) return { value: [] };
    const parsed = parseOAuthClients(value, 'OAUTH_CLIENTS');
    return parsed.problems.length ? { problem: parsed.problems.join('; ') } : { value: parsed.clients };
  },
};

export const oauthSchema = {
  oauthClients: clientsField,
  /** Requests naming no client (seed 001's curl) are the implicit public client `vigil-implicit`. */
  oauthImplicitClient: env.bool('OAUTH_IMPLICIT_CLIENT', { default: true }),
  /** The gateway's public URL (scheme://host[:port][/prefix]) in the discovery metadata; else from the request. */
  publicBaseUrl: env.url('PUBLIC_BASE_URL', { optional: true, protocols: ['https', 'http'] }),
  /** Browser origins (scheme://host[:port]) allowed to call /api/v1/auth/* and the well-known documents. */
  corsAllowedOrigins: env.list('CORS_ALLOWED_ORIGINS', { optional: true, pattern: /^https?:\/\/[^/\s]+$/ }),
  /** Algorithms whose keys are kept and published beside SIGNING_ALG's (e.g. ES256). */
  signingAdditionalAlgs: env.list('SIGNING_ADDITIONAL_ALGS', { optional: true, pattern: /^(EdDSA|ES256)$/ }),
};

/** Checks across variables: a client's algorithm must have keys. */
export function oauthConfigProblems(config: {
  oauthClients: OAuthClient[];
  signingAlg: AccessTokenAlg;
  signingAdditionalAlgs?: string[];
  publicBaseUrl?: string;
}): string[] {
  const problems: string[] = [];
  const algs = new Set<string>([config.signingAlg, ...(config.signingAdditionalAlgs ?? [])]);
  for (const c of config.oauthClients)
    if (c.accessTokenAlg && !algs.has(c.accessTokenAlg))
      problems.push(
        `OAUTH_CLIENTS client "${c.clientId}": access_token_alg ${c.accessTokenAlg} has no keys (add it to SIGNING_ADDITIONAL_ALGS)`,
      );
  if (config.publicBaseUrl) {
    const u = new URL(config.publicBaseUrl);
    if (u.search || u.hash || u.username || u.password)
      problems.push('PUBLIC_BASE_URL must have no query, fragment or credentials');
  }
  return problems;
}
