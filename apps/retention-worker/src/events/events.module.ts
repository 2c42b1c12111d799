import { Global, Module } from '@nestjs/common';
import { OpsOutbox } from './ops-outbox';

/** The worker's ops events, through its outbox (every other module records its steps here). */
@Global()
@Module({ providers: [OpsOutbox], exports: [OpsOutbox] })
export class EventsModule {}
