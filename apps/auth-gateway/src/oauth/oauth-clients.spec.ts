import { IMPLICIT_CLIENT_ID, mayUseGrant, parseOAuthClients } from './oauth-clients';

const HASH =
  '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$W7vV1mDJ6l7Yy0Hq3P2yqE0y1zF0r1o1l2k3j4h5g6f';

describe('OAUTH_CLIENTS registrations', () => {
  it('reads public and confidential clients with their grants, algorithm and introspection right', () => {
    const { clients, problems } = parseOAuthClients(
      JSON.stringify([
        { client_id: 'spa', type: 'public', grant_types: ['password', 'refresh_token'] },
        {
          client_id: 'api-gateway',
          type: 'confidential',
          client_secret_hash: HASH,
          grant_types: ['refresh_token'],
          access_token_alg: 'ES256',
          introspection: true,
        },
      ]),
    );
    expect(problems).toEqual([]);
    expect(clients).toEqual([
      { clientId: 'spa', type: 'public', grantTypes: ['password', 'refresh_token'], introspection: false },
      {
        clientId: 'api-gateway',
        type: 'confidential',
        secretHash: HASH,
        grantTypes: ['refresh_token'],
        accessTokenAlg: 'ES256',
        introspection: true,
      },
    ]);
    expect(mayUseGrant(clients![1], 'password')).toBe(false);
    expect(mayUseGrant(clients![1], 'refresh_token')).toBe(true);
  });

  it('refuses a plain secret, naming the variable and the client but never the value', () => {
    const { clients, problems } = parseOAuthClients(
      JSON.stringify([{ client_id: 'svc', type: 'confidential', client_secret: 'hunter2-plain-secret' }]),
    );
    expect(clients).toBeUndefined();
    expect(problems.join('\n')).toMatch(
      /OAUTH_CLIENTS client "svc" has client_secret: configure client_secret_hash/,
    );
    expect(problems.join('\n')).not.toContain('hunter2-plain-secret');
  });

  it('names every other mistake at once', () => {
    const { problems } = parseOAuthClients(
      JSON.stringify([
        { client_id: 'a', type: 'public', client_secret_hash: HASH },
        { client_id: 'a', type: 'confidential' },
        { client_id: 'b', type: 'public', grant_types: ['client_credentials'], introspection: true },
        { client_id: 'c', type: 'trusted' },
        { client_id: IMPLICIT_CLIENT_ID, type: 'public', colour: 'red' },
        'not an object',
        { client_id: 'has space', type: 'public' },
      ]),
    );
    expect(problems).toEqual([
      expect.stringMatching(/client "a": a public client has no secret/),
      expect.stringMatching(/client "a" is registered twice/),
      expect.stringMatching(/client "a": a confidential client needs client_secret_hash/),
      expect.stringMatching(/client "b": unsupported grant_types client_credentials/),
      expect.stringMatching(/client "b": only a confidential client may introspect/),
      expect.stringMatching(/client "c": type must be "public" or "confidential"/),
      expect.stringMatching(/client "vigil-implicit": this client_id is reserved/),
      expect.stringMatching(/client "vigil-implicit" has unknown fields: colour/),
      'OAUTH_CLIENTS[5] must be an object',
      expect.stringMatching(/OAUTH_CLIENTS\[6\]\.client_id must be/),
    ]);
  });

  it('says when the value is not a JSON array', () => {
    expect(parseOAuthClients('{nope').problems).toEqual([
      'OAUTH_CLIENTS must be a JSON array of client registrations (it is not valid JSON)',
    ]);
    expect(parseOAuthClients('{}').problems).toEqual([
      'OAUTH_CLIENTS must be a JSON array of client registrations',
    ]);
  });
});
