/*
 * The authorization server metadata (RFC 8414 §2) the discovery endpoints serve: pure, so the shape
 * is tested without a server.
 */
import { SUPPORTED_GRANTS } from './oauth-clients';

export interface MetadataInput {
  /** scheme://host[:port][/prefix] where clients reach the gateway. */
  baseUrl: string;
  /** JWT_ISSUER: the metadata's issuer when it is a URL (it must equal the tokens' iss). */
  jwtIssuer: string;
  algs: string[];
}

export function authorizationServerMetadata(input: MetadataInput) {
  const base = input.baseUrl.replace(/\/+$/, '');
  const issuer = /^https?:\/\//.test(input.jwtIssuer) ? input.jwtIssuer : base;
  const clientAuth = ['client_secret_basic', 'client_secret_post', 'none'];
  return {
    issuer,
    token_endpoint: `${base}/api/v1/auth/token`,
    revocation_endpoint: `${base}/api/v1/auth/revoke`,
    introspection_endpoint: `${base}/api/v1/auth/introspect`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    grant_types_supported: [...SUPPORTED_GRANTS],
    // No authorization endpoint: no response types (the password grant needs none).
    response_types_supported: [] as string[],
    token_endpoint_auth_methods_supported: clientAuth,
    revocation_endpoint_auth_methods_supported: clientAuth,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // Access tokens (RFC 9068 at+jwt) are signed with these; verify them against jwks_uri.
    access_token_signing_alg_values_supported: [...new Set(input.algs)],
    subject_types_supported: ['public'],
  };
}
