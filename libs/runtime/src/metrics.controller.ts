import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { serveMetrics } from '@vigil/telemetry';
import { ApiPrometheusMetrics } from './health.openapi';

/** GET /metrics in Prometheus text format, from the OpenTelemetry SDK's Prometheus exporter. */
@Controller()
export class MetricsController {
  @Get('metrics')
  @ApiPrometheusMetrics()
  metrics(@Req() req: Request, @Res() res: Response): void {
    serveMetrics(req, res);
  }
}
