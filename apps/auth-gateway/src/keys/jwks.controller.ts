import { Controller, Get, Header, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JSONWebKeySet } from 'jose';
import { ApiProblems } from '@vigil/runtime';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { KeyStore } from './key-store';
import { JWKS_EXAMPLE, JwksDoc } from './keys-admin.dto';

@ApiTags('keys')
@UseFilters(GatewayProblemFilter)
@Controller()
export class JwksController {
  constructor(private readonly keys: KeyStore) {}

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({
    summary: 'Public keys that verify access tokens (current, pre-published and recently retired)',
  })
  @ApiOkResponse({
    type: JwksDoc,
    example: JWKS_EXAMPLE,
    description: 'RFC 7517 JWK set; Cache-Control: max-age=60',
  })
  @ApiProblems(500)
  jwks(): JSONWebKeySet {
    return this.keys.jwks();
  }
}
