import { Body, Controller, Get, Put, Req, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf } from '../http/request-meta';
import { SetMaintenanceModeDto } from './maintenance-mode.dto';
import { MaintenanceModeService } from './maintenance-mode.service';

/** Seed 004-34: the gateway's maintenance mode (admin role; changes audited as MAINTENANCE_MODE_CHANGED). */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@UseFilters(GatewayProblemFilter)
@Controller('api/v1/admin/maintenance')
export class MaintenanceModeController {
  constructor(private readonly maintenance: MaintenanceModeService) {}

  @Get()
  @ApiOperation({ summary: 'Whether maintenance mode is on, since when, why and by whom' })
  get() {
    return this.maintenance.current();
  }

  @Put()
  @ApiOperation({
    summary:
      'Turn maintenance mode on or off on every instance: while on, logins, token grants, refreshes and password changes answer 503 with Retry-After; issued tokens, health and the admin API keep working',
  })
  set(@Body() dto: SetMaintenanceModeDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.maintenance.set(dto.enabled, dto.reason, { userId: who.sub, roles: who.roles }, metaOf(req));
  }
}
