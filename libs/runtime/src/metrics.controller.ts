import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { serveMetrics } from '@vigil/telemetry';

/** GET /metrics in Prometheus text format, from the OpenTelemetry SDK's Prometheus exporter. */
@Controller()
export class MetricsController {
  @Get('metrics')
  metrics(@Req() req: Request, @Res() res: Response): void {
    serveMetrics(req, res);
  }
}
