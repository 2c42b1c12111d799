import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { PasswordHasher } from '../passwords/password-hasher';
import { implicitClient, type OAuthClient } from './oauth-clients';
import { OAuthError } from './oauth-errors';
import type { PresentedClient } from './token-request';

const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;

/**
 * Client authentication (RFC 6749 §2.3): a confidential client proves its secret (Basic header or
 * body), a public client only names itself, a request naming no client is the implicit public client
 * (unless OAUTH_IMPLICIT_CLIENT=false). Every failure is the same 401 invalid_client, unknown client
 * or wrong secret alike, after the same Argon2 work. A verified secret is remembered for a minute by
 * its SHA-256 only, so a resource server introspecting on every request does not pay Argon2 each time.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly clients: Map<string, OAuthClient>;
  private readonly verified = new Map<string, number>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    private readonly hasher: PasswordHasher,
  ) {
    this.clients = new Map(config.oauthClients.map((c) => [c.clientId, c]));
  }

  async authenticate(presented: PresentedClient): Promise<OAuthClient> {
    const viaHeader = presented.method === 'client_secret_basic';
    const refused = () => OAuthError.invalidClient('client authentication failed', viaHeader);
    if (presented.clientId === undefined) {
      if (this.config.oauthImplicitClient) return implicitClient();
      throw OAuthError.invalidClient('client authentication is required (client_id)', false);
    }
    const client = this.clients.get(presented.clientId);
    const secret = presented.secret === '' ? undefined : presented.secret;
    if (!client) {
      if (secret !== undefined) await this.hasher.verify(undefined, secret); // same work as a wrong secret
      throw refused();
    }
    if (client.type === 'public') {
      if (secret !== undefined) throw refused(); // a public client has no secret to prove
      return client;
    }
    if (secret === undefined) throw refused();
    const key = `${client.clientId}\u0000${createHash('sha256').update(secret).digest('base64url')}`;
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return client;
    if (!(await this.hasher.verify(client.secretHash, secret))) throw refused();
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.set(key, Date.now() + VERIFIED_TTL_MS);
    return client;
  }
}
