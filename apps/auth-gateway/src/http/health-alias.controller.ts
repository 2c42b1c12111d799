import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiLiveness, ApiReadiness, HealthRegistry } from '@vigil/runtime';

/** seed 001-47: `curl https://api.example.com/api/v1/health` answers without a token (alias of /health). */
@ApiTags('health')
@Controller('api/v1/health')
export class HealthAliasController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get()
  @ApiReadiness()
  async health(@Res() res: Response): Promise<void> {
    const report = await this.registry.evaluate();
    res.status(report.ready ? 200 : 503).json({ ...report, live: true });
  }

  @Get('live')
  @ApiLiveness()
  live(): { status: string; live: boolean } {
    return { status: 'ok', live: true };
  }
}
