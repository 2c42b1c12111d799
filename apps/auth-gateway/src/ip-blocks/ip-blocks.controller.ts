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
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf } from '../http/request-meta';
import { CreateIpBlockDto, isBlockableTarget } from './ip-blocks.dto';
import { IpBlocksService } from './ip-blocks.service';

/**
 * Blocking an address or network by hand (seeds 000-39 "block abuse source", 003-25): admin role
 * only, audited with the admin as actor, enforced by the same guard as the monitor's BLOCK_IP.
 * `npm run ip -- block|unblock|list` drives it from a shell.
 */
@ApiTags('admin')
@ApiBearerAuth()
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
  block(@Body() dto: CreateIpBlockDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.blocks.block(dto, this.ctx(who, req));
  }

  @Get()
  @ApiOperation({ summary: 'Blocks in force (by hand and by the security monitor), newest first' })
  list() {
    return this.blocks.list(500);
  }

  @Delete(':ip')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Lift a block (IP_UNBLOCKED); a network is given URL-encoded, e.g. 198.51.100.0%2F24',
  })
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
