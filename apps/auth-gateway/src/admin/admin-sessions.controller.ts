import { Body, Controller, HttpCode, Inject, Post, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Logger } from 'winston';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles, LOGGER } from '@vigil/runtime';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf } from '../http/request-meta';
import { AdminUsersService } from './admin-users.service';
import { RevokeAllSessionsDto, RevokeAllSessionsResultDoc } from './dto/admin.dto';

/** Sessions across all users (admin role only; audited with the admin as actor). */
@ApiTags('admin')
@ApiRoles('admin')
@ApiProblems(500)
@Roles('admin')
@UseFilters(GatewayProblemFilter)
@Controller('api/v1/admin/sessions')
export class AdminSessionsController {
  constructor(
    private readonly admin: AdminUsersService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('revoke-all')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Seeds 000-43, 003-23: end every live session of every user (refresh families with them; one TOKEN_REVOKED per user), except the caller's own unless includeCaller",
  })
  @ApiBody({
    type: RevokeAllSessionsDto,
    examples: { exposure: { value: { reason: 'signing key exposed, INC-12', includeCaller: false } } },
  })
  @ApiOkResponse({
    type: RevokeAllSessionsResultDoc,
    example: { users: 42, revoked: 57, keptCallerSession: true },
  })
  @ApiProblems({ status: 400, errors: ['reason should not be empty'] })
  async revokeAll(
    @Body() dto: RevokeAllSessionsDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ): Promise<RevokeAllSessionsResultDoc> {
    const result = await this.admin.revokeEveryone(
      { actor: { userId: who.sub, roles: who.roles }, meta: metaOf(req) },
      who.sid,
      dto.includeCaller === true,
    );
    this.logger.warn('every session revoked by an administrator', {
      actorUserId: who.sub,
      reason: dto.reason,
      ...result,
    });
    return result;
  }
}
