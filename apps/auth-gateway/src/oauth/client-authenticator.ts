import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  CLIENT_ID,
  CLIENT_ID_MAX,
  type ClientAuthEndpoint,
  type ClientAuthFailure,
  type ClientAuthMethod,
} from '@vigil/contracts';
import { Db } from '@vigil/database';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { RateLimitedException } from '../http/problems';
import { throttleKeyOf } from '../http/request-meta';
import { clientRulesFrom, rateLimitFields, refusalOf } from '../lockout/lockout.policy';
import { clientCounterKeys, ThrottleRepository } from '../lockout/throttle.repository';
import { gatewayMetrics } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { PasswordHasher } from '../passwords/password-hasher';
import { implicitClient, type OAuthClient } from './oauth-clients';
import { OAuthError } from './oauth-errors';
import type { PresentedClient } from './token-request';
import { clientAuthContext } from './client-auth-request.middleware';

const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;

/** Where a client authenticates: the endpoint, its route (for RATE_LIMITED) and the caller. */
export interface ClientAuthContext {
  endpoint: ClientAuthEndpoint;
  route: string;
  meta: RequestMeta;
}

const METHOD: Record<PresentedClient['method'], ClientAuthMethod> = {
  client_secret_basic: 'basic',
  client_secret_post: 'post',
  none: 'none',
};

/**
 * Client authentication (RFC 6749 §2.3): a confidential client proves its secret (Basic header or
 * body), a public client only names itself, a request naming no client is the implicit public client
 * (unless OAUTH_IMPLICIT_CLIENT=false). Every failure is the same 401 invalid_client, unknown client
 * or wrong secret alike, after the same Argon2 work, and is a CLIENT_AUTH_FAILED event (the client
 * id, never the secret) counted on the login throttle counters: per client, per (client, address)
 * and per address (`clientRulesFrom`). Once a wait runs, the answer is 429 temporarily_unavailable
 * with Retry-After before any Argon2 work. A verified secret is remembered for a minute by its
 * SHA-256 only, so a resource server introspecting on every request does not pay Argon2 each time,
 * and a client that proved its secret within that minute is not held up by a wait strangers caused.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly clients: Map<string, OAuthClient>;
  private readonly verified = new Map<string, number>();
  private readonly rules;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    private readonly hasher: PasswordHasher,
    private readonly db: Db,
    private readonly throttles: ThrottleRepository,
    private readonly outbox: OutboxWriter,
  ) {
    this.clients = new Map(config.oauthClients.map((c) => [c.clientId, c]));
    this.rules = clientRulesFrom(config);
  }

  /** `ctx`: where and from whom; by default the current OAuth request's (ClientAuthRequestMiddleware). */
  async authenticate(
    presented: PresentedClient,
    ctx: ClientAuthContext = clientAuthContext(),
  ): Promise<OAuthClient> {
    const viaHeader = presented.method === 'client_secret_basic';
    if (presented.clientId === undefined) {
      if (this.config.oauthImplicitClient) return implicitClient();
      throw OAuthError.invalidClient('client authentication is required (client_id)', false);
    }
    const clientId = presented.clientId;
    const client = this.clients.get(clientId);
    const secret = presented.secret === '' ? undefined : presented.secret;
    if (client?.type === 'public' && secret === undefined) return client;
    const key =
      secret === undefined
        ? undefined
        : `${clientId}\u0000${createHash('sha256').update(secret).digest('base64url')}`;
    if (client?.type === 'confidential' && key !== undefined) {
      const until = this.verified.get(key);
      if (until !== undefined && until > Date.now()) return this.succeeded(client);
    }

    // Waits first: no Argon2 work (costs nothing, says nothing), unknown clients throttled alike.
    const keys = clientCounterKeys(clientId, throttleKeyOf(ctx.meta.ip));
    const now = Date.now();
    const counters = await this.throttles.load(this.db, keys);
    const refusal = refusalOf(counters, now, false);
    if (refusal) {
      await this.outbox.append(this.db, [
        gatewayEvent('RATE_LIMITED', {
          outcome: 'denied',
          reason: 'client_auth_throttled',
          attributes: {
            route: ctx.route,
            scope: refusal.scope,
            retryAfterSeconds: Math.min(refusal.retryAfterSeconds, 86_400),
          },
          meta: ctx.meta,
        }),
      ]);
      this.outbox.written();
      gatewayMetrics().clientAuthentications.add(1, { outcome: 'rate_limited', scope: refusal.scope });
      const fields = rateLimitFields(counters.get(refusal.scope), now, this.rules[refusal.scope]);
      throw new RateLimitedException(refusal.retryAfterSeconds, {
        ...fields,
        windowSeconds: this.config.lockoutWindowSeconds,
      });
    }

    let failure: ClientAuthFailure | undefined;
    if (!client) {
      if (secret !== undefined) await this.verify(undefined, secret); // same work as a wrong secret
      failure = 'unknown_client';
    } else if (client.type === 'public')
      failure = 'unexpected_secret'; // a public client has no secret to prove
    else if (secret === undefined) failure = 'missing_secret';
    else if (!(await this.verify(client.secretHash, secret))) failure = 'bad_secret';
    if (failure) {
      await this.recordFailure(failure, clientId, presented.method, keys, ctx);
      throw OAuthError.invalidClient('client authentication failed', viaHeader);
    }
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.set(key!, Date.now() + VERIFIED_TTL_MS);
    return this.succeeded(client!);
  }

  private async verify(hash: string | undefined, secret: string): Promise<boolean> {
    gatewayMetrics().clientSecretVerifications.add(1);
    return this.hasher.verify(hash, secret);
  }

  private succeeded(client: OAuthClient): OAuthClient {
    gatewayMetrics().clientAuthentications.add(1, { outcome: 'success' });
    return client;
  }

  private async recordFailure(
    reason: ClientAuthFailure,
    clientId: string,
    method: PresentedClient['method'],
    keys: ReturnType<typeof clientCounterKeys>,
    ctx: ClientAuthContext,
  ): Promise<void> {
    await this.db.tx(async (sql) => {
      const outcomes = await this.throttles.recordFailure(sql, keys, this.rules, Date.now());
      const attempts = outcomes.get('account')?.next.recent.length ?? 1;
      await this.outbox.append(sql, [
        gatewayEvent('CLIENT_AUTH_FAILED', {
          outcome: 'failure',
          reason,
          attributes: {
            clientId: eventClientId(clientId),
            method: METHOD[method],
            endpoint: ctx.endpoint,
            attemptCount: Math.min(Math.max(1, attempts), 1_000_000),
          },
          meta: ctx.meta,
        }),
      ]);
    });
    this.outbox.written();
    gatewayMetrics().clientAuthentications.add(1, { outcome: 'failure', reason });
  }
}

/** A presented client_id as an event may carry it: an unregistered one can be anything (bounded, printable). */
function eventClientId(clientId: string): string {
  const printable = clientId.replace(/[^\x21-\x7e]/g, '?').slice(0, CLIENT_ID_MAX);
  return CLIENT_ID.test(printable) ? printable : '?';
}
