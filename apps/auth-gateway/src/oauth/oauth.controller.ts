import { Body, Controller, Header, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { principalOf } from '@vigil/auth';
import { metaOf, routeTemplateOf } from '../http/request-meta';
import { LoginService } from '../login/login.service';
import { MaintenanceModeGuard } from '../maintenance-mode/maintenance-mode.guard';
import { SessionsService } from '../sessions/sessions.service';
import type { TokenResponse } from '../sessions/token-response';
import { ClientAuthenticator } from './client-authenticator';
import {
  IntrospectionRequestDto,
  IntrospectionResponseDto,
  OAuthErrorDto,
  RevocationRequestDto,
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
  @ApiBody({ type: TokenRequestDto })
  @ApiOperation({
    summary:
      'OAuth 2.0 token endpoint (RFC 6749): grant_type=password or refresh_token; client credentials by Basic header or body; no grant_type and no client: the password grant (seed 001-55)',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiResponse({
    status: 400,
    type: OAuthErrorDto,
    description: 'invalid_request, invalid_grant, ... (§5.2)',
  })
  @ApiResponse({ status: 401, type: OAuthErrorDto, description: 'invalid_client' })
  @ApiResponse({ status: 429, type: OAuthErrorDto, description: 'temporarily_unavailable, Retry-After' })
  @ApiResponse({ status: 503, type: OAuthErrorDto, description: 'maintenance mode, Retry-After' })
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
  @ApiBearerAuth()
  @ApiBody({ type: RevocationRequestDto, required: false })
  @ApiOperation({
    summary:
      "Seed 001-56: with a bearer token and no body, revokes the bearer's session and refresh family ({revoked}); RFC 7009: token (+ token_type_hint) in a form body with client authentication, any access or refresh token's session ends; 200 also for an unknown token",
  })
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
  @ApiBody({ type: IntrospectionRequestDto })
  @ApiOperation({
    summary:
      'RFC 7662 token introspection for confidential clients registered with introspection: true (resource servers that cannot verify EdDSA locally)',
  })
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiResponse({ status: 401, type: OAuthErrorDto, description: 'invalid_client' })
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
