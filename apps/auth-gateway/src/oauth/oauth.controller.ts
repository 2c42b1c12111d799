import { Body, Controller, Header, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { principalOf } from '@vigil/auth';
import { ProblemDetails } from '@vigil/runtime';
import { metaOf, routeTemplateOf } from '../http/request-meta';
import { LoginService } from '../login/login.service';
import { MaintenanceModeGuard } from '../maintenance-mode/maintenance-mode.guard';
import { RevokedSessionsDoc } from '../sessions/dto/sessions.dto';
import { SessionsService } from '../sessions/sessions.service';
import type { TokenResponse } from '../sessions/token-response';
import { ClientAuthenticator } from './client-authenticator';
import {
  ApiOAuthErrors,
  INTROSPECTION_EXAMPLES,
  IntrospectionRequestDto,
  IntrospectionResponseDto,
  OAUTH_CLIENT_ERRORS,
  OAuthErrorDto,
  RevocationRequestDto,
  TOKEN_RESPONSE_EXAMPLE,
  TokenRequestDto,
  TokenResponseDto,
} from './dto/oauth.dto';
import { mayUseGrant, type OAuthClient } from './oauth-clients';
import { OAuthError } from './oauth-errors';
import { OAuthErrorFilter } from './oauth-error.filter';
import { RevocationAuthGuard } from './revocation-auth.guard';
import { TokenInspection, type IntrospectionResponse } from './token-inspection.service';
import { param, presentedClient, tokenGrant } from './token-request';

type FormBody = Record<string, unknown>;

/**
 * The OAuth 2.0 endpoints: token (RFC 6749 §3.2, password and refresh_token grants), revocation
 * (RFC 7009, beside seed 001-56's bearer-only form) and introspection (RFC 7662). Errors are RFC 6749
 * §5.2 bodies. Bodies are read by hand (form-encoded or JSON), not by the DTOs (which only document
 * them): client_secret in the body is allowed (§2.3.1), unknown parameters are ignored (§3.2).
 */
@ApiTags('oauth')
@UseFilters(OAuthErrorFilter)
@Controller()
export class OAuthController {
  constructor(
    private readonly logins: LoginService,
    private readonly sessions: SessionsService,
    private readonly clients: ClientAuthenticator,
    private readonly tokens: TokenInspection,
  ) {}

  @Post('api/v1/auth/token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({
    type: TokenRequestDto,
    examples: {
      password: {
        summary: 'password grant, confidential client by Basic header',
        value: { grant_type: 'password', username: 'alice', password: 'correct horse battery staple' },
      },
      refresh: {
        summary: 'refresh_token grant, public client',
        value: {
          grant_type: 'refresh_token',
          refresh_token: 'vrt_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          client_id: 'web-spa',
        },
      },
      seed001: {
        summary: 'seed 001-55: no client, no grant_type',
        value: { username: 'admin', password: '...' },
      },
    },
  })
  @ApiSecurity({})
  @ApiSecurity('basic')
  @ApiOperation({
    summary:
      'OAuth 2.0 token endpoint (RFC 6749): grant_type=password or refresh_token; client credentials by Basic header or body; no grant_type and no client: the password grant (seed 001-55)',
  })
  @ApiOkResponse({
    type: TokenResponseDto,
    example: TOKEN_RESPONSE_EXAMPLE,
    description: 'RFC 6749 §5.1; Cache-Control: no-store, Pragma: no-cache',
  })
  @ApiOAuthErrors(
    {
      status: 400,
      description:
        'invalid_request (missing, repeated or malformed parameters), invalid_grant (wrong username or password, a bad refresh token, a password change required: error_uri), unauthorized_client, unsupported_grant_type, invalid_scope',
      examples: {
        invalid_request: { error: 'invalid_request', error_description: 'grant_type is required' },
        invalid_grant: { error: 'invalid_grant', error_description: 'invalid username or password' },
        password_change_required: {
          error: 'invalid_grant',
          error_description:
            'this account must choose a new password before logging in: POST /api/v1/auth/password with username, currentPassword and newPassword',
          error_uri: 'https://vigil.dev/problems/password-change-required',
        },
        unauthorized_client: {
          error: 'unauthorized_client',
          error_description: 'this client may not use the password grant',
        },
        unsupported_grant_type: {
          error: 'unsupported_grant_type',
          error_description: 'grant_type client_credentials is not supported',
        },
        invalid_scope: { error: 'invalid_scope', error_description: 'scope is malformed' },
      },
    },
    OAUTH_CLIENT_ERRORS.invalidClient,
    OAUTH_CLIENT_ERRORS.ipBlocked,
    OAUTH_CLIENT_ERRORS.tooMany,
    OAUTH_CLIENT_ERRORS.serverError,
    {
      status: 503,
      description: 'temporarily_unavailable: maintenance mode (seed 004-34); Retry-After',
      examples: {
        maintenance: {
          error: 'temporarily_unavailable',
          error_description: 'the service is in maintenance: database failover, INC-9; retry later',
        },
      },
    },
  )
  @UseGuards(MaintenanceModeGuard)
  async token(@Body() raw: FormBody, @Req() req: Request): Promise<TokenResponse> {
    const body = raw ?? {};
    const presented = presentedClient(req.header('authorization'), body);
    const grant = tokenGrant(body, presented.clientId !== undefined);
    const client = await this.clients.authenticate(presented);
    if (!mayUseGrant(client, grant.grant))
      throw new OAuthError('unauthorized_client', `this client may not use the ${grant.grant} grant`);
    const issue = { clientId: client.clientId, alg: client.accessTokenAlg };
    if (grant.grant === 'refresh_token') return this.sessions.refresh(grant.refreshToken, metaOf(req), issue);
    return this.logins.login(grant.username, grant.password, metaOf(req), routeTemplateOf(req), issue);
  }

  @Post('api/v1/auth/revoke')
  @HttpCode(200)
  @UseGuards(RevocationAuthGuard)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiSecurity({})
  @ApiSecurity('basic')
  @ApiBearerAuth()
  @ApiBody({
    type: RevocationRequestDto,
    required: false,
    examples: {
      rfc7009: {
        summary: 'RFC 7009, a confidential client by Basic header',
        value: { token: 'vrt_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', token_type_hint: 'refresh_token' },
      },
      publicClient: {
        summary: 'RFC 7009, a public client names itself',
        value: { token: 'vrt_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', client_id: 'web-spa' },
      },
    },
  })
  @ApiOperation({
    summary:
      "Seed 001-56: with a bearer token and no body, revokes the bearer's session and refresh family ({revoked}); RFC 7009: token (+ token_type_hint) in a form body with client authentication, any access or refresh token's session ends; 200 also for an unknown token",
    description:
      "Two forms. With an Authorization: Bearer header (or with neither a token nor client credentials) it is seed 001-56's: the answer is {revoked} and errors are problem+json. Otherwise it is RFC 7009's: the answer is {} and errors are RFC 6749 §5.2 bodies (application/json).",
  })
  @ApiExtraModels(RevokedSessionsDoc, ProblemDetails, OAuthErrorDto)
  @ApiOkResponse({
    description: 'bearer form: {revoked} (0 or 1); RFC 7009 form: {} (also for an unknown token)',
    content: {
      'application/json': {
        schema: {
          oneOf: [
            { $ref: getSchemaPath(RevokedSessionsDoc) },
            { type: 'object', properties: {}, description: 'RFC 7009: an empty object' },
          ],
        },
        examples: { bearer: { value: { revoked: 1 } }, rfc7009: { value: {} } },
      },
    },
  })
  @ApiResponse({
    status: 400,
    description:
      'RFC 7009 form: invalid_request (no token, a repeated or malformed parameter), unauthorized_client (the token was issued to another client; it lives on) (RFC 6749 §5.2 error body, not problem+json)',
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(OAuthErrorDto) },
        examples: {
          invalid_request: {
            value: {
              error: 'invalid_request',
              error_description: 'token is required',
              request_id: 'req-7f3a9c',
            },
          },
          unauthorized_client: {
            value: {
              error: 'unauthorized_client',
              error_description: 'the token was issued to another client',
              request_id: 'req-7f3a9c',
            },
          },
        },
      },
    },
  })
  @ApiResponse({
    status: 401,
    description:
      'bearer form: no bearer token, or one that is invalid, expired or revoked (problem+json); RFC 7009 form: invalid_client (RFC 6749 §5.2 error body)',
    content: {
      'application/problem+json': {
        schema: { $ref: getSchemaPath(ProblemDetails) },
        example: {
          type: 'https://vigil.dev/problems/unauthorized',
          title: 'Unauthorized',
          status: 401,
          detail: 'a bearer access token is required',
          requestId: 'req-7f3a9c',
        },
      },
      'application/json': {
        schema: { $ref: getSchemaPath(OAuthErrorDto) },
        example: {
          error: 'invalid_client',
          error_description: 'client authentication failed',
          request_id: 'req-7f3a9c',
        },
      },
    },
  })
  @ApiOAuthErrors(OAUTH_CLIENT_ERRORS.ipBlocked, OAUTH_CLIENT_ERRORS.tooMany, OAUTH_CLIENT_ERRORS.serverError)
  async revoke(
    @Body() raw: FormBody,
    @Req() req: Request,
  ): Promise<{ revoked: number } | Record<string, never>> {
    const body = raw ?? {};
    const who = principalOf(req);
    if (who) {
      // Seed 001-56 (bearer, no body), or a refresh token of the bearer's own.
      const token = param(body, 'token', 200);
      return { revoked: await this.sessions.revoke(who.sub, who.sid, token, metaOf(req)) };
    }
    const client = await this.clients.authenticate(presentedClient(req.header('authorization'), body));
    const token = param(body, 'token');
    if (token === undefined) throw OAuthError.invalidRequest('token is required');
    param(body, 'token_type_hint', 100); // a hint only orders the lookups (RFC 7009 §2.1); unknown hints are ignored
    await this.tokens.revoke(token, client.clientId, metaOf(req));
    return {};
  }

  @Post('api/v1/auth/introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({
    type: IntrospectionRequestDto,
    examples: {
      accessToken: {
        value: {
          token:
            'eyJhbGciOiJFZERTQSIsImtpZCI6Ik5xV2d6Y3RQIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiIwMTkzYTZjMiJ9.c2lnbmF0dXJl',
          token_type_hint: 'access_token',
        },
      },
    },
  })
  @ApiSecurity('basic')
  @ApiOperation({
    summary:
      'RFC 7662 token introspection for confidential clients registered with introspection: true (resource servers that cannot verify EdDSA locally)',
    description:
      'The client authenticates by Basic header (basic) or with client_id and client_secret in the form body (client_secret_post).',
  })
  @ApiOkResponse({
    type: IntrospectionResponseDto,
    examples: INTROSPECTION_EXAMPLES,
    description: 'RFC 7662 §2.2; Cache-Control: no-store',
  })
  @ApiOAuthErrors(
    {
      status: 400,
      description: 'invalid_request: no token, or a repeated or malformed parameter',
      examples: { invalid_request: { error: 'invalid_request', error_description: 'token is required' } },
    },
    {
      ...OAUTH_CLIENT_ERRORS.invalidClient,
      description:
        'invalid_client: no client credentials, a public client, an unknown client or a wrong secret (WWW-Authenticate: Basic)',
    },
    {
      status: 403,
      description:
        'unauthorized_client: a confidential client not registered with introspection: true; access_denied: a blocked address',
      examples: {
        unauthorized_client: {
          error: 'unauthorized_client',
          error_description: 'this client may not introspect tokens',
        },
        ...OAUTH_CLIENT_ERRORS.ipBlocked.examples,
      },
    },
    OAUTH_CLIENT_ERRORS.tooMany,
    OAUTH_CLIENT_ERRORS.serverError,
  )
  async introspect(@Body() raw: FormBody, @Req() req: Request): Promise<IntrospectionResponse> {
    const body = raw ?? {};
    const client = await this.clients.authenticate(presentedClient(req.header('authorization'), body));
    assertMayIntrospect(client);
    const token = param(body, 'token');
    if (token === undefined) throw OAuthError.invalidRequest('token is required');
    param(body, 'token_type_hint', 100);
    return this.tokens.introspect(token);
  }
}

function assertMayIntrospect(client: OAuthClient): void {
  if (client.type !== 'confidential')
    throw OAuthError.invalidClient('introspection requires a confidential client', false);
  if (!client.introspection)
    throw new OAuthError('unauthorized_client', 'this client may not introspect tokens', 403);
}
