import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@vigil/config';
import { loadAuthGatewayConfig } from '../config';

const HASH =
  '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$W7vV1mDJ6l7Yy0Hq3P2yqE0y1zF0r1o1l2k3j4h5g6f';

function problems(env: Record<string, string>): string[] {
  try {
    loadAuthGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('auth-gateway OAuth configuration', () => {
  it('defaults: no registered client, the implicit client on, EdDSA only', () => {
    const c = loadAuthGatewayConfig({});
    expect(c.oauthClients).toEqual([]);
    expect(c.oauthImplicitClient).toBe(true);
    expect(c.signingAdditionalAlgs).toBeUndefined();
  });

  it('reads OAUTH_CLIENTS_FILE (a mounted secret) as well as OAUTH_CLIENTS', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-oauth-'));
    const file = path.join(dir, 'clients.json');
    await fs.writeFile(
      file,
      JSON.stringify([{ client_id: 'svc', type: 'confidential', client_secret_hash: HASH }]),
    );
    try {
      expect(loadAuthGatewayConfig({ OAUTH_CLIENTS_FILE: file }).oauthClients.map((c) => c.clientId)).toEqual(
        ['svc'],
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a bad registration stops the start naming OAUTH_CLIENTS and the client, never the secret', () => {
    const found = problems({
      OAUTH_CLIENTS: JSON.stringify([
        { client_id: 'svc', type: 'confidential', client_secret: 'plain-secret-123' },
      ]),
    });
    expect(found.join('\n')).toMatch(/^OAUTH_CLIENTS client "svc" has client_secret/m);
    expect(found.join('\n')).not.toContain('plain-secret-123');
  });

  it('a client asking for ES256 needs SIGNING_ADDITIONAL_ALGS=ES256', () => {
    const es = JSON.stringify([{ client_id: 'rs', type: 'public', access_token_alg: 'ES256' }]);
    expect(problems({ OAUTH_CLIENTS: es })).toEqual([
      expect.stringMatching(
        /OAUTH_CLIENTS client "rs": access_token_alg ES256 has no keys \(add it to SIGNING_ADDITIONAL_ALGS\)/,
      ),
    ]);
    expect(problems({ OAUTH_CLIENTS: es, SIGNING_ADDITIONAL_ALGS: 'ES256' })).toEqual([]);
    expect(problems({ SIGNING_ADDITIONAL_ALGS: 'RS256' })).toEqual([
      expect.stringMatching(/^SIGNING_ADDITIONAL_ALGS has invalid items: RS256/),
    ]);
    expect(problems({ PUBLIC_BASE_URL: 'https://id.example.com/?x=1' })).toEqual([
      'PUBLIC_BASE_URL must have no query, fragment or credentials',
    ]);
  });
});
