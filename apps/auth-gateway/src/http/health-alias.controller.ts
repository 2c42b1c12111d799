import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { HealthRegistry } from '@vigil/runtime';

/** seed 001-47: `curl https://api.example.com/api/v1/health` answers without a token (alias of /health). */
@ApiExcludeController()
@Controller('api/v1/health')
export class HealthAliasController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get()
  async health(@Res() res: Response): Promise<void> {
    const report = await this.registry.evaluate();
    res.status(report.ready ? 200 : 503).json({ ...report, live: true });
  }

  @Get('live')
  live(): { status: string; live: boolean } {
    return { status: 'ok', live: true };
  }
}
