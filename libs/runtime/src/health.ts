import { Controller, Get, Injectable, Res, type Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiLiveness, ApiReadiness } from './health.openapi';

export interface CheckResult {
  ok: boolean;
  /** Working, but held back (e.g. a consumer waiting for a dependency): still ready, reported degraded. */
  degraded?: boolean;
  detail?: string;
}

/** ok: everything answers; degraded: alive but a check failed or is degraded (named in `failing`); shutting_down. */
export type HealthStatus = 'ok' | 'degraded' | 'shutting_down';

export interface HealthReport {
  status: HealthStatus;
  ready: boolean;
  /** The checks that failed or are degraded. */
  failing: string[];
  checks: Record<string, CheckResult>;
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

  async evaluate(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(async ([name, check]): Promise<[string, CheckResult]> => {
        try {
          return [name, await check()];
        } catch (err) {
          return [name, { ok: false, detail: err instanceof Error ? err.message : String(err) }];
        }
      }),
    );
    const checks: Record<string, CheckResult> = Object.fromEntries(entries);
    if (this.shuttingDown) checks.shutdown = { ok: false, detail: 'shutting down' };
    const failing = Object.entries(checks)
      .filter(([, c]) => !c.ok || c.degraded)
      .map(([name]) => name);
    const ready = Object.values(checks).every((c) => c.ok);
    const status: HealthStatus = this.shuttingDown ? 'shutting_down' : failing.length ? 'degraded' : 'ok';
    return { status, ready, failing, checks };
  }
}

/**
 * GET /health: liveness plus readiness (200 when every dependency answers, 503 otherwise, with
 * each check's result; status "degraded" names the failing checks). GET /health/live answers 200 while the process serves HTTP at all.
 */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get(['health', 'health/ready'])
  @ApiReadiness()
  async health(@Res() res: Response): Promise<void> {
    await sendReadiness(this.registry, res);
  }

  @Get('health/live')
  @ApiLiveness()
  live(): { status: string; live: boolean } {
    return { status: 'ok', live: true };
  }
}

/** The readiness report as /health answers it: 200 when ready, 503 otherwise. */
export async function sendReadiness(registry: HealthRegistry, res: Response): Promise<void> {
  const report = await registry.evaluate();
  res.status(report.ready ? 200 : 503).json({ ...report, live: true });
}

export interface HealthAliasOptions {
  /**
   * Also answer `<prefix>/health` itself (default true). Off where the service already has a
   * route there (the audit-writer's admin-only `/api/v1/audit/health`, seed 001-06).
   */
  bare?: boolean;
}

/**
 * A controller that answers /health, /health/ready and /health/live under the service's API
 * prefix too (`/api/v1/monitor/health`, ...), with no token: behind one base URL (an Ingress or
 * deploy/local/edge.js routing by path prefix) each service's health is reachable without a
 * rewrite. Each service's app module adds its own.
 */
export function healthAliasController(prefix: string, opts: HealthAliasOptions = {}): Type<unknown> {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  if (!/^[a-z0-9][a-z0-9/_-]*$/.test(base))
    throw new Error(`health alias prefix ${JSON.stringify(prefix)} is not a path`);
  const readiness = opts.bare === false ? ['health/ready'] : ['health', 'health/ready'];

  @ApiTags('health')
  @Controller(base)
  class HealthAliasController {
    constructor(readonly registry: HealthRegistry) {}

    @Get(readiness)
    @ApiReadiness()
    async health(@Res() res: Response): Promise<void> {
      await sendReadiness(this.registry, res);
    }

    @Get('health/live')
    @ApiLiveness()
    live(): { status: string; live: boolean } {
      return { status: 'ok', live: true };
    }
  }
  Object.defineProperty(HealthAliasController, 'name', { value: `HealthAliasController(${base})` });
  return HealthAliasController;
}
