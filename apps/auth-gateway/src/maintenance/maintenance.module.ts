import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DatabaseModule } from '../database/database.module';
import { IpBlocksModule } from '../ip-blocks/ip-blocks.module';
import { KeysModule } from '../keys/keys.module';
import { LockoutModule } from '../lockout/lockout.module';
import { LoginModule } from '../login/login.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SecurityActionsModule } from '../security-actions/security-actions.module';
import { SessionsModule } from '../sessions/sessions.module';
import { LiftExpiredLocksJob } from './lift-expired-locks.job';
import { MaintenanceRepository } from './maintenance.repository';
import { MaintenanceService } from './maintenance.service';
import { PruneAppliedSecurityActionsJob } from './prune-applied-security-actions.job';
import { PruneIpBlocksJob } from './prune-ip-blocks.job';
import { PruneKnownIpsJob } from './prune-known-ips.job';
import { PruneOutboxJob } from './prune-outbox.job';
import { PruneSessionsJob } from './prune-sessions.job';
import { PruneThrottleCountersJob } from './prune-throttle-counters.job';

/** Housekeeping every 30 s: one file per job, each over the repository of the module that owns the data. */
@Module({
  imports: [
    DatabaseModule,
    OutboxModule,
    KeysModule,
    AccountsModule,
    LockoutModule,
    IpBlocksModule,
    SessionsModule,
    LoginModule,
    SecurityActionsModule,
  ],
  providers: [
    MaintenanceService,
    MaintenanceRepository,
    LiftExpiredLocksJob,
    PruneThrottleCountersJob,
    PruneIpBlocksJob,
    PruneSessionsJob,
    PruneKnownIpsJob,
    PruneOutboxJob,
    PruneAppliedSecurityActionsJob,
  ],
})
export class MaintenanceModule {}
