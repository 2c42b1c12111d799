import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  UseFilters,
} from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles } from '@vigil/runtime';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf } from '../http/request-meta';
import { CreateIpBlockDto, IP_BLOCK_EXAMPLE, IpBlockDoc, isBlockableTarget } from './ip-blocks.dto';
import { IpBlocksService } from './ip-blocks.service';

/**
 * Blocking an address or network by hand (seeds 000-39 "block abuse source", 003-25): admin role
 * only, audited with the admin as actor, enforced by the same guard as the monitor's BLOCK_IP.
 * `npm run ip -- block|unblock|list` drives it from a shell.
 */
@ApiTags('admin')
@ApiRoles('admin')
@ApiProblems(500)
@Roles('admin')
@UseFilters(GatewayProblemFilter)
@Controller('api/v1/admin/ip-blocks')
export class IpBlocksController {
  constructor(private readonly blocks: IpBlocksService) {}

  private ctx(who: VerifiedToken, req: Request) {
    return { actor: { userId: who.sub, roles: who.roles }, meta: metaOf(req) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Block an address or CIDR network for ttlSeconds (IP_BLOCKED); re-blocking replaces the expiry',
  })
  @ApiBody({
    type: CreateIpBlockDto,
    examples: {
      address: {
        value: { ip: '203.0.113.7', ttlSeconds: 3600, reason: 'credential stuffing, ticket SEC-42' },
      },
      network: { value: { ip: '198.51.100.0/24', ttlSeconds: 86400, reason: 'abuse source, INC-7' } },
    },
  })
  @ApiCreatedResponse({ type: IpBlockDoc, example: IP_BLOCK_EXAMPLE, description: 'the block in force' })
  @ApiProblems({
    status: 400,
    errors: ['ip must be an IPv4/IPv6 address or a CIDR network no wider than /8 (IPv4) or /32 (IPv6)'],
  })
  block(
    @Body() dto: CreateIpBlockDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ): Promise<IpBlockDoc> {
    return this.blocks.block(dto, this.ctx(who, req));
  }

  @Get()
  @ApiOperation({ summary: 'Blocks in force (by hand and by the security monitor), newest first' })
  @ApiOkResponse({
    type: [IpBlockDoc],
    example: [
      IP_BLOCK_EXAMPLE,
      {
        ...IP_BLOCK_EXAMPLE,
        ip: '192.0.2.44',
        source: 'security_action',
        note: null,
        blockedBy: null,
        alertId: '0193a6c2-3333-7000-8000-000000000003',
      },
    ],
    description: 'at most 500',
  })
  list(): Promise<IpBlockDoc[]> {
    return this.blocks.list(500);
  }

  @Delete(':ip')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Lift a block (IP_UNBLOCKED); a network is given URL-encoded, e.g. 198.51.100.0%2F24',
  })
  @ApiParam({
    name: 'ip',
    schema: { type: 'string', maxLength: 49 },
    example: '203.0.113.7',
    description: 'exactly as listed: an address, or a CIDR network URL-encoded (198.51.100.0%2F24)',
  })
  @ApiOkResponse({ type: IpBlockDoc, example: IP_BLOCK_EXAMPLE, description: 'the block lifted' })
  @ApiProblems(
    { status: 400, detail: 'ip must be an IPv4/IPv6 address or a CIDR network' },
    { status: 404, detail: 'no block in force for this address or network' },
  )
  unblock(@Param('ip') ip: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    if (!isBlockableTarget(ip)) {
      throw new BadRequestException({
        type: 'https://vigil.dev/problems/bad-request',
        title: 'Bad Request',
        detail: 'ip must be an IPv4/IPv6 address or a CIDR network',
      });
    }
    return this.blocks.unblock(ip, this.ctx(who, req));
  }
}
