/*
 * OpenAPI shapes of the OAuth endpoints. Documentation only: the controller reads these bodies itself
 * (token-request.ts), since RFC 6749 §3.2 has unknown parameters ignored and errors in §5.2's shape.
 */
import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { TokenResponse } from '../../sessions/token-response';
import type { OAuthErrorBody, OAuthErrorCode } from '../oauth-errors';

export class TokenRequestDto {
  @ApiPropertyOptional({
    enum: ['password', 'refresh_token'],
    description: 'required, except from a request naming no client (then password: seed 001-55)',
  })
  grant_type?: string;
  @ApiPropertyOptional({ maxLength: 320, description: 'password grant: username or e-mail' })
  username?: string;
  @ApiPropertyOptional({ format: 'password', maxLength: 1024, description: 'password grant' })
  password?: string;
  @ApiPropertyOptional({ maxLength: 200, description: 'refresh_token grant' })
  refresh_token?: string;
  @ApiPropertyOptional({ description: "accepted; the token's scope is the user's roles" })
  scope?: string;
  @ApiPropertyOptional({
    description: 'the client (or in the Basic header); none: the implicit public client',
  })
  client_id?: string;
  @ApiPropertyOptional({ format: 'password', description: 'a confidential client may send it here (§2.3.1)' })
  client_secret?: string;
}

export const TOKEN_RESPONSE_EXAMPLE: TokenResponse = {
  access_token:
    'eyJhbGciOiJFZERTQSIsImtpZCI6Ik5xV2d6Y3RQIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiIwMTkzYTZjMiJ9.c2lnbmF0dXJl',
  token_type: 'Bearer',
  expires_in: 600,
  refresh_token: 'vrt_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  refresh_expires_in: 2592000,
  scope: 'admin user',
};

/** RFC 6749 §5.1 (login, the token endpoint, refresh and a password change answer the same). */
export class TokenResponseDto implements TokenResponse {
  @ApiProperty({ description: 'a JWT (typ at+jwt) signed with a key of /.well-known/jwks.json' })
  access_token!: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type!: 'Bearer';
  @ApiProperty({ description: 'seconds', example: 600 }) expires_in!: number;
  @ApiProperty({ pattern: '^vrt_[A-Za-z0-9_-]{43}$', description: 'single use: each use rotates it' })
  refresh_token!: string;
  @ApiProperty({ description: 'seconds (not in RFC 6749: when the refresh token expires)' })
  refresh_expires_in!: number;
  @ApiProperty({ description: 'the roles, space-separated', example: 'admin user' }) scope!: string;
}

const OAUTH_ERROR_CODES: OAuthErrorCode[] = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
  'access_denied',
  'temporarily_unavailable',
  'server_error',
];

/** RFC 6749 §5.2 error response: what the token, revocation and introspection endpoints answer. */
export class OAuthErrorDto implements OAuthErrorBody {
  @ApiProperty({ enum: OAUTH_ERROR_CODES })
  error!: OAuthErrorCode;
  @ApiPropertyOptional({ example: 'invalid username or password' }) error_description?: string;
  @ApiPropertyOptional({
    format: 'uri',
    description: 'a page about the error (password-change-required names the way out)',
  })
  error_uri?: string;
  @ApiPropertyOptional({ description: 'the X-Request-Id of the request', example: 'req-7f3a9c' })
  request_id?: string;
}

export interface OAuthErrorAnswer {
  status: number;
  description: string;
  /** One example per error code this status carries on the route. */
  examples: Record<string, { error: OAuthErrorCode; error_description?: string; error_uri?: string }>;
}

/**
 * Documents RFC 6749 §5.2 error answers (`application/json`, `Cache-Control: no-store`), not
 * problem+json: the OAuth endpoints' counterpart of `@ApiProblems`.
 */
export function ApiOAuthErrors(...answers: OAuthErrorAnswer[]): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(OAuthErrorDto),
    ...answers.map((a) =>
      ApiResponse({
        status: a.status,
        description: `${a.description} (RFC 6749 §5.2 error body, not problem+json)`,
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(OAuthErrorDto) },
            examples: Object.fromEntries(
              Object.entries(a.examples).map(([name, body]) => [
                name,
                { value: { ...body, request_id: 'req-7f3a9c' } },
              ]),
            ),
          },
        },
      }),
    ),
  );
}

/** The §5.2 answers every client-authenticating OAuth endpoint shares. */
export const OAUTH_CLIENT_ERRORS = {
  invalidClient: {
    status: 401,
    description:
      'invalid_client: unknown client, wrong secret, a confidential client without its secret, or Basic and body credentials at once (WWW-Authenticate: Basic when the header was tried)',
    examples: {
      invalid_client: { error: 'invalid_client', error_description: 'client authentication failed' },
    },
  },
  ipBlocked: {
    status: 403,
    description: 'access_denied: requests from this address are blocked (security action or an admin)',
    examples: {
      access_denied: { error: 'access_denied', error_description: 'requests from this address are blocked' },
    },
  },
  tooMany: {
    status: 429,
    description: 'temporarily_unavailable: too many requests from this client; Retry-After says how long',
    examples: {
      temporarily_unavailable: {
        error: 'temporarily_unavailable',
        error_description: 'too many failed attempts; retry in 30 s',
      },
    },
  },
  serverError: {
    status: 500,
    description: 'server_error: an internal error (the request id finds the log line)',
    examples: { server_error: { error: 'server_error' } },
  },
} satisfies Record<string, OAuthErrorAnswer>;

export class RevocationRequestDto {
  @ApiPropertyOptional({
    description:
      'RFC 7009: the access or refresh token to revoke; with a bearer header: a refresh token of yours',
  })
  token?: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type_hint?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional({ format: 'password' }) client_secret?: string;
}

export class IntrospectionRequestDto {
  @ApiProperty() token!: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type_hint?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional({ format: 'password' }) client_secret?: string;
}

/** RFC 7662 §2.2; a token that is not live is `{"active": false}` and nothing else. */
export class IntrospectionResponseDto {
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional({ description: 'the user id' }) sub?: string;
  @ApiPropertyOptional({ description: 'epoch seconds' }) exp?: number;
  @ApiPropertyOptional({ description: 'epoch seconds' }) iat?: number;
  @ApiPropertyOptional({ description: 'the roles, space-separated' }) scope?: string;
  @ApiPropertyOptional({ type: [String] }) roles?: string[];
  @ApiPropertyOptional({ enum: ['Bearer', 'refresh_token'] }) token_type?: string;
  @ApiPropertyOptional({ description: 'access tokens from the token endpoint (RFC 9068)' })
  client_id?: string;
  @ApiPropertyOptional({ description: 'refresh tokens' }) username?: string;
  @ApiPropertyOptional() iss?: string;
  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'access tokens',
  })
  aud?: string | string[];
  @ApiPropertyOptional({ description: 'access tokens' }) jti?: string;
  @ApiPropertyOptional({ description: 'the session (refresh family)' }) sid?: string;
}

export const INTROSPECTION_EXAMPLES = {
  activeAccessToken: {
    summary: 'a live access token',
    value: {
      active: true,
      sub: '0193a6c2-0000-7000-8000-00000000002a',
      exp: 1796203200,
      iat: 1796202600,
      scope: 'auditor',
      roles: ['auditor'],
      token_type: 'Bearer',
      client_id: 'backend-web',
      iss: 'https://id.example.com',
      aud: 'vigil',
      jti: '0193a6c2-1111-7000-8000-000000000001',
      sid: '0193a6c2-2222-7000-8000-000000000002',
    },
  },
  activeRefreshToken: {
    summary: 'a live refresh token',
    value: {
      active: true,
      sub: '0193a6c2-0000-7000-8000-00000000002a',
      username: 'alice',
      exp: 1798794600,
      iat: 1796202600,
      scope: 'auditor',
      roles: ['auditor'],
      token_type: 'refresh_token',
      iss: 'https://id.example.com',
      sid: '0193a6c2-2222-7000-8000-000000000002',
    },
  },
  inactive: { summary: 'expired, revoked, unknown or not a token', value: { active: false } },
};

/** RFC 8414 §2 authorization server metadata (also at /.well-known/openid-configuration). */
export class ServerMetadataDoc {
  @ApiProperty({ description: 'JWT_ISSUER when a URL, else the base URL', example: 'https://id.example.com' })
  issuer!: string;
  @ApiProperty({ format: 'uri' }) token_endpoint!: string;
  @ApiProperty({ format: 'uri' }) revocation_endpoint!: string;
  @ApiProperty({ format: 'uri' }) introspection_endpoint!: string;
  @ApiProperty({ format: 'uri' }) jwks_uri!: string;
  @ApiProperty({ type: [String], example: ['password', 'refresh_token'] }) grant_types_supported!: string[];
  @ApiProperty({ type: [String], description: 'empty: no authorization endpoint', example: [] })
  response_types_supported!: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String] }) revocation_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String] }) introspection_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String], example: ['EdDSA', 'ES256'] })
  access_token_signing_alg_values_supported!: string[];
  @ApiProperty({ type: [String], example: ['public'] }) subject_types_supported!: string[];
}

export const SERVER_METADATA_EXAMPLE = {
  issuer: 'https://id.example.com',
  token_endpoint: 'https://id.example.com/api/v1/auth/token',
  revocation_endpoint: 'https://id.example.com/api/v1/auth/revoke',
  introspection_endpoint: 'https://id.example.com/api/v1/auth/introspect',
  jwks_uri: 'https://id.example.com/.well-known/jwks.json',
  grant_types_supported: ['password', 'refresh_token'],
  response_types_supported: [],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  access_token_signing_alg_values_supported: ['EdDSA'],
  subject_types_supported: ['public'],
};
