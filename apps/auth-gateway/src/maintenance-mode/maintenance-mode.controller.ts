import { Body, Controller, Get, Put, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles } from '@vigil/runtime';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf } from '../http/request-meta';
import {
  MAINTENANCE_OFF_EXAMPLE,
  MAINTENANCE_ON_EXAMPLE,
  MaintenanceModeChangeDoc,
  MaintenanceModeDoc,
  SetMaintenanceModeDto,
} from './maintenance-mode.dto';
import { MaintenanceModeService } from './maintenance-mode.service';

/** Seed 004-34: the gateway's maintenance mode (admin role; changes audited as MAINTENANCE_MODE_CHANGED). */
@ApiTags('admin')
@ApiRoles('admin')
@ApiProblems(500)
@Roles('admin')
@UseFilters(GatewayProblemFilter)
@Controller('api/v1/admin/maintenance')
export class MaintenanceModeController {
  constructor(private readonly maintenance: MaintenanceModeService) {}

  @Get()
  @ApiOperation({ summary: 'Whether maintenance mode is on, since when, why and by whom' })
  @ApiOkResponse({ type: MaintenanceModeDoc, example: MAINTENANCE_OFF_EXAMPLE })
  get(): Promise<MaintenanceModeDoc> {
    return this.maintenance.current();
  }

  @Put()
  @ApiOperation({
    summary:
      'Turn maintenance mode on or off on every instance: while on, logins, token grants, refreshes and password changes answer 503 with Retry-After; issued tokens, health and the admin API keep working',
  })
  @ApiBody({
    type: SetMaintenanceModeDto,
    examples: {
      on: { value: { enabled: true, reason: 'database failover, INC-9' } },
      off: { value: { enabled: false } },
    },
  })
  @ApiOkResponse({ type: MaintenanceModeChangeDoc, example: MAINTENANCE_ON_EXAMPLE })
  @ApiProblems({ status: 400, errors: ['enabled must be a boolean value'] })
  set(
    @Body() dto: SetMaintenanceModeDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ): Promise<MaintenanceModeChangeDoc> {
    return this.maintenance.set(dto.enabled, dto.reason, { userId: who.sub, roles: who.roles }, metaOf(req));
  }
}
