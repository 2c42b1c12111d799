import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DatabaseModule } from '../database/database.module';
import { IpBlocksModule } from '../ip-blocks/ip-blocks.module';
import { OutboxModule } from '../outbox/outbox.module';
import { MonitorKeyring } from './monitor-keyring';
import { SecurityActionsConsumer } from './security-actions.consumer';
import { SecurityActionsRepository } from './security-actions.repository';
import { SecurityActionsService } from './security-actions.service';

/** security.actions.v1 from the monitor: signed commands verified, checked against policy, applied once. */
@Module({
  imports: [DatabaseModule, OutboxModule, AccountsModule, IpBlocksModule],
  providers: [MonitorKeyring, SecurityActionsRepository, SecurityActionsService, SecurityActionsConsumer],
  exports: [SecurityActionsRepository],
})
export class SecurityActionsModule {}
