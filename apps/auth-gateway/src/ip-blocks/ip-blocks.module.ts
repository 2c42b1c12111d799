import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { EventsModule } from '../events/events.module';
import { JunkModule } from '../junk/junk.module';
import { OutboxModule } from '../outbox/outbox.module';
import { IpBlockGuard } from './ip-block.guard';
import { IpBlocksController } from './ip-blocks.controller';
import { IpBlocksRepository } from './ip-blocks.repository';
import { IpBlocksService } from './ip-blocks.service';

/**
 * The IP deny-list: `/api/v1/admin/ip-blocks` (admin role), the monitor's BLOCK_IP (security-actions
 * module) and the guard that refuses blocked clients (registered globally by AppModule).
 */
@Module({
  imports: [DatabaseModule, OutboxModule, EventsModule, JunkModule],
  controllers: [IpBlocksController],
  providers: [IpBlocksRepository, IpBlocksService, IpBlockGuard],
  exports: [IpBlocksRepository, IpBlockGuard],
})
export class IpBlocksModule {}
