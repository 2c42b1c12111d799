import { Controller, Get, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblems, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { SERVER_METADATA_EXAMPLE, ServerMetadataDoc } from './dto/oauth.dto';
import { authorizationServerMetadata } from './server-metadata';

/**
 * RFC 8414 authorization server metadata, also at OpenID Connect Discovery's path (libraries look
 * there first): where the token, revocation, introspection endpoints and the JWKS are, and what they
 * accept. URLs come from PUBLIC_BASE_URL, else from the request (then the answer is not cached).
 */
@ApiTags('oauth')
@UseFilters(GatewayProblemFilter)
@Controller()
export class DiscoveryController {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig) {}

  @Get(['.well-known/oauth-authorization-server', '.well-known/openid-configuration'])
  @ApiOperation({
    summary:
      'RFC 8414 / OpenID discovery metadata: issuer, token, revocation and introspection endpoints, jwks_uri, grants and client authentication methods',
  })
  @ApiOkResponse({
    type: ServerMetadataDoc,
    example: SERVER_METADATA_EXAMPLE,
    description:
      'Cache-Control: public, max-age=300 with PUBLIC_BASE_URL; no-store when derived from the request',
  })
  @ApiProblems(500)
  metadata(@Req() req: Request, @Res({ passthrough: true }) res: Response): ServerMetadataDoc {
    const configured = this.config.publicBaseUrl;
    res.setHeader('Cache-Control', configured ? 'public, max-age=300' : 'no-store');
    // Behind a trusted proxy (TRUST_PROXY) Express reads X-Forwarded-Proto and X-Forwarded-Host here.
    const base = configured ?? `${req.protocol}://${req.host ?? 'localhost'}`;
    return authorizationServerMetadata({
      baseUrl: base,
      jwtIssuer: this.config.jwtIssuer,
      algs: [this.config.signingAlg, ...(this.config.signingAdditionalAlgs ?? [])],
    });
  }
}
