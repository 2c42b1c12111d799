/**
 * OAuth client registrations for the gateway suites (issue 20): secrets drawn per run, configured
 * only as Argon2id hashes (OAUTH_CLIENTS), and a gateway listening on a real port whose issuer URL
 * is its own address, as discovery-driven client libraries expect.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import argon2 from 'argon2';
import { startGateway, waitReady, type Gateway, type GatewayOptions } from './gateway';

export interface TestClients {
  /** Public: password and refresh_token grants, no secret (a single-page app). */
  spa: { id: string };
  /** Confidential: secret by header or body (a backend for frontend). */
  backend: { id: string; secret: string };
  /** Confidential, ES256 access tokens, may introspect (an API gateway without EdDSA). */
  resourceServer: { id: string; secret: string };
  /** Confidential, refresh_token grant only. */
  refreshOnly: { id: string; secret: string };
  env: Record<string, string>;
}

const cheap = { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 };

export async function testClients(): Promise<TestClients> {
  const secret = () => randomBytes(24).toString('base64url') + '+/~';
  const backend = { id: 'backend-web', secret: secret() };
  const resourceServer = { id: 'api-gateway', secret: secret() };
  const refreshOnly = { id: 'refresher', secret: secret() };
  const registrations = [
    { client_id: 'web-spa', type: 'public', grant_types: ['password', 'refresh_token'] },
    {
      client_id: backend.id,
      type: 'confidential',
      client_secret_hash: await argon2.hash(backend.secret, cheap),
    },
    {
      client_id: resourceServer.id,
      type: 'confidential',
      client_secret_hash: await argon2.hash(resourceServer.secret, cheap),
      access_token_alg: 'ES256',
      introspection: true,
    },
    {
      client_id: refreshOnly.id,
      type: 'confidential',
      client_secret_hash: await argon2.hash(refreshOnly.secret, cheap),
      grant_types: ['refresh_token'],
    },
  ];
  return {
    spa: { id: 'web-spa' },
    backend,
    resourceServer,
    refreshOnly,
    env: { OAUTH_CLIENTS: JSON.stringify(registrations), SIGNING_ADDITIONAL_ALGS: 'ES256' },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A gateway on 127.0.0.1:<port> whose JWT_ISSUER is http://127.0.0.1:<port> (its discovery issuer). */
export async function startListeningGateway(
  env: Record<string, string>,
  opts: GatewayOptions = {},
): Promise<{ g: Gateway; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const g = await startGateway({ ...opts, env: { JWT_ISSUER: base, ...env, ...opts.env } });
  await g.app.listen(port, '127.0.0.1');
  await waitReady(g);
  return { g, base };
}
