import { Controller, Get, Header, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JSONWebKeySet } from 'jose';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { KeyStore } from './key-store';

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
  jwks(): JSONWebKeySet {
    return this.keys.jwks();
  }
}
