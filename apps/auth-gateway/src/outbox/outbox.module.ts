import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { OutboxRelay } from './outbox.relay';
import { OutboxRepository } from './outbox.repository';
import { OutboxWriter } from './outbox.writer';

/** The outbox: events appended in the transaction of their change, relayed to auth.events.v1. */
@Module({
  imports: [DatabaseModule],
  providers: [OutboxRepository, OutboxWriter, OutboxRelay],
  exports: [OutboxRepository, OutboxWriter],
})
export class OutboxModule {}
