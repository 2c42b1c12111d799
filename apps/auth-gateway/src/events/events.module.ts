import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { OutboxModule } from '../outbox/outbox.module';
import { StandaloneEvents } from './standalone-events';

/**
 * Events that are not part of a state change (refused tokens, 403s, 429s, 5xx): StandaloneEvents.
 * Events themselves are built by `gatewayEvent` (gateway-event.factory.ts), a plain function.
 */
@Module({
  imports: [DatabaseModule, OutboxModule],
  providers: [StandaloneEvents],
  exports: [StandaloneEvents],
})
export class EventsModule {}
