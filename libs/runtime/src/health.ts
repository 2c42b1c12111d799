import { Controller, Get, Injectable, Res } from '@nestjs/common';
import type { Response } from 'express';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}
export type Check = () => Promise<CheckResult> | CheckResult;

/** Readiness checks registered by the infrastructure (PostgreSQL, Kafka, consumers, migrations). */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, Check>();
  private shuttingDown = false;

  register(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(async ([name, check]): Promise<[string, CheckResult]> => {
        try {
          return [name, await check()];
        } catch (err) {
          return [name, { ok: false, detail: err instanceof Error ? err.message : String(err) }];
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    if (this.shuttingDown) checks.shutdown = { ok: false, detail: 'shutting down' };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}

/**
 * GET /health: liveness plus readiness (200 when every dependency answers, 503 otherwise, with
 * each check's result). GET /health/live answers 200 while the process serves HTTP at all.
 */
@Controller()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get(['health', 'health/ready'])
  async health(@Res() res: Response): Promise<void> {
    const { ready, checks } = await this.registry.evaluate();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'not_ready', live: true, ready, checks });
  }

  @Get('health/live')
  live(): { status: string; live: boolean } {
    return { status: 'ok', live: true };
  }
}
