import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
} from '@nestjs/common';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { RetentionWorkerConfig } from '../config';
import { describePolicy } from '../policy/policy';
import { CleanupDto } from './cleanup.dto';
import { ExpiryService, RunInProgress, type RunReport } from './expiry.service';

/**
 * Seed 001-24's cleanup endpoint, and the policy it applies. Admin only. `retention_days` may
 * lengthen the hot window for one run but never shorten it below the policy (that would remove
 * rows the policy says to keep); a dry run reports and changes nothing.
 */
@Controller()
@Roles('admin')
export class CleanupController {
  constructor(
    private readonly expiry: ExpiryService,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
  ) {}

  /**
   * A policy run now (the `vigil retention run` command): the same run and the same rules as the
   * seed's cleanup endpoint, at a path of the retention API, which the one base URL routes here
   * without an exception (`/api/v1/audit/*` is the audit-writer's). Recorded as RETENTION_RUN.
   */
  @Post('api/v1/retention/runs')
  @HttpCode(200)
  runNow(@Body() body: CleanupDto, @Principal() who: VerifiedToken): Promise<RunReport> {
    return this.cleanup(body, who);
  }

  @Post('api/v1/audit/cleanup')
  @HttpCode(200)
  async cleanup(@Body() body: CleanupDto, @Principal() who: VerifiedToken): Promise<RunReport> {
    const days = body.retention_days ?? this.config.policy.hotDays;
    if (days < this.config.policy.hotDays)
      throw new BadRequestException(
        `retention_days must be at least the policy's hot window (${this.config.policy.hotDays} days): shorter would remove rows the policy keeps`,
      );
    try {
      return await this.expiry.run({
        trigger: 'api',
        dryRun: body.dry_run ?? false,
        retentionDays: days,
        actor: { userId: who.sub, roles: who.roles },
      });
    } catch (err) {
      if (err instanceof RunInProgress) throw new ConflictException(err.message);
      throw err;
    }
  }

  @Get('api/v1/retention/policy')
  policy(): Record<string, unknown> {
    return describePolicy(this.config.policy);
  }
}
