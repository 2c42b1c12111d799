import { OAuthError } from './oauth-errors';
import { presentedClient, tokenGrant } from './token-request';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof OAuthError ? { code: e.code, status: e.getStatus() } : e;
  }
  throw new Error('no error');
};

describe('RFC 6749 §2.3.1: client credentials', () => {
  it('reads the Basic header, form-decoding each part', () => {
    expect(presentedClient(basic('svc:1', 'p@ss word+'), {})).toEqual({
      clientId: 'svc:1',
      secret: 'p@ss word+',
      method: 'client_secret_basic',
    });
  });
  it('reads client_id and client_secret from the body', () => {
    expect(presentedClient(undefined, { client_id: 'svc', client_secret: 's3cret' })).toEqual({
      clientId: 'svc',
      secret: 's3cret',
      method: 'client_secret_post',
    });
    expect(presentedClient(undefined, { client_id: 'spa' })).toEqual({ clientId: 'spa', method: 'none' });
    expect(presentedClient(undefined, {})).toEqual({ method: 'none' });
  });
  it('refuses two methods at once, a secret without a client and a malformed header', () => {
    expect(errorOf(() => presentedClient(basic('a', 'b'), { client_secret: 'b' }))).toEqual({
      code: 'invalid_request',
      status: 400,
    });
    expect(errorOf(() => presentedClient(basic('a', 'b'), { client_id: 'other' }))).toEqual({
      code: 'invalid_request',
      status: 400,
    });
    expect(errorOf(() => presentedClient(undefined, { client_secret: 'b' }))).toEqual({
      code: 'invalid_request',
      status: 400,
    });
    expect(errorOf(() => presentedClient('Basic bm9jb2xvbg==', {}))).toEqual({
      code: 'invalid_client',
      status: 401,
    });
  });
});

describe('RFC 6749 §3.2, §4.3.2, §6: token request parameters', () => {
  it('seed 001-55: no grant_type and no client is the password grant', () => {
    expect(tokenGrant({ username: 'admin', password: 'pw' }, false)).toEqual({
      grant: 'password',
      username: 'admin',
      password: 'pw',
    });
  });
  it('a named client must send grant_type', () => {
    expect(errorOf(() => tokenGrant({ username: 'admin', password: 'pw' }, true))).toEqual({
      code: 'invalid_request',
      status: 400,
    });
  });
  it('unsupported grants, repeated and missing parameters, bad scope', () => {
    expect(errorOf(() => tokenGrant({ grant_type: 'client_credentials' }, true))).toEqual({
      code: 'unsupported_grant_type',
      status: 400,
    });
    expect(
      errorOf(() => tokenGrant({ grant_type: 'password', username: ['a', 'b'], password: 'x' }, true)),
    ).toEqual({ code: 'invalid_request', status: 400 });
    expect(errorOf(() => tokenGrant({ grant_type: 'refresh_token', refresh_token: '' }, true))).toEqual({
      code: 'invalid_request',
      status: 400,
    });
    expect(
      errorOf(() =>
        tokenGrant({ grant_type: 'password', username: 'a', password: 'b', scope: 'a\\b' }, true),
      ),
    ).toEqual({ code: 'invalid_scope', status: 400 });
    expect(tokenGrant({ grant_type: 'refresh_token', refresh_token: 'vrt_x', scope: 'user' }, true)).toEqual({
      grant: 'refresh_token',
      refreshToken: 'vrt_x',
      scope: 'user',
    });
  });
});
