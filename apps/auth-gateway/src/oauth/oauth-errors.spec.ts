import { BadRequestException, InternalServerErrorException } from '@nestjs/common';
import { isAudited } from '@vigil/auth';
import {
  InMaintenanceException,
  invalidCredentials,
  invalidGrant,
  passwordChangeRequired,
  RateLimitedException,
} from '../http/problems';
import { toOAuthError } from './oauth-errors';
import { authorizationServerMetadata } from './server-metadata';

const shape = (e: unknown) => {
  const o = toOAuthError(e);
  return { status: o.getStatus(), ...o.body };
};

describe('RFC 6749 §5.2: the gateway refusals in OAuth form', () => {
  it('wrong credentials and bad refresh tokens are 400 invalid_grant, still counted as audited', () => {
    expect(shape(invalidCredentials())).toEqual({
      status: 400,
      error: 'invalid_grant',
      error_description: 'invalid username or password',
    });
    expect(shape(invalidGrant())).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(isAudited(toOAuthError(invalidCredentials()))).toBe(true);
  });
  it('a required password change is invalid_grant with the problem type as error_uri', () => {
    expect(shape(passwordChangeRequired())).toMatchObject({
      status: 400,
      error: 'invalid_grant',
      error_uri: 'https://vigil.dev/problems/password-change-required',
    });
  });
  it('waits and maintenance keep 429/503: temporarily_unavailable', () => {
    const limit = { limit: 3, remaining: 0, resetSeconds: 10, windowSeconds: 600 };
    expect(shape(new RateLimitedException(10, limit))).toMatchObject({
      status: 429,
      error: 'temporarily_unavailable',
    });
    expect(shape(new InMaintenanceException('upgrade', 60))).toMatchObject({
      status: 503,
      error: 'temporarily_unavailable',
    });
  });
  it('validation is invalid_request; internals are server_error without detail', () => {
    expect(shape(new BadRequestException(['x must be a string']))).toMatchObject({
      status: 400,
      error: 'invalid_request',
    });
    expect(shape(new InternalServerErrorException('db password is hunter2'))).toEqual({
      status: 500,
      error: 'server_error',
    });
    expect(shape(new Error('boom'))).toEqual({ status: 500, error: 'server_error' });
  });
});

describe('RFC 8414 §2: metadata', () => {
  it('names the endpoints under the base URL; the issuer is JWT_ISSUER when it is a URL', () => {
    const m = authorizationServerMetadata({
      baseUrl: 'https://id.example.com/',
      jwtIssuer: 'https://id.example.com',
      algs: ['EdDSA', 'ES256'],
    });
    expect(m).toMatchObject({
      issuer: 'https://id.example.com',
      token_endpoint: 'https://id.example.com/api/v1/auth/token',
      revocation_endpoint: 'https://id.example.com/api/v1/auth/revoke',
      introspection_endpoint: 'https://id.example.com/api/v1/auth/introspect',
      jwks_uri: 'https://id.example.com/.well-known/jwks.json',
      grant_types_supported: ['password', 'refresh_token'],
      access_token_signing_alg_values_supported: ['EdDSA', 'ES256'],
    });
    expect(
      authorizationServerMetadata({
        baseUrl: 'http://gw:3000',
        jwtIssuer: 'vigil-auth-gateway',
        algs: ['EdDSA'],
      }).issuer,
    ).toBe('http://gw:3000');
  });
});
