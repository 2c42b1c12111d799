import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { JunkRequests } from './junk-requests.service';
import { JunkThrottleGuard } from './junk-throttle.guard';

/** Junk anyone can send (bad tokens, requests while blocked): recorded, aggregated, throttled. */
@Module({
  imports: [EventsModule],
  providers: [JunkRequests, JunkThrottleGuard],
  exports: [JunkRequests, JunkThrottleGuard],
})
export class JunkModule {}
