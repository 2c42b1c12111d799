import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { JunkModule } from '../junk/junk.module';
import { KeysModule } from '../keys/keys.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/**
 * Sessions and refresh-token families: rotation with reuse detection and the one grace retry
 * (refresh-token.rules.ts, pure), logout, revocation, listing. Its endpoints are served by the
 * login module's AuthController (the token endpoint takes both grants).
 */
@Module({
  imports: [DatabaseModule, OutboxModule, KeysModule, JunkModule],
  providers: [SessionsRepository, SessionsService],
  exports: [SessionsRepository, SessionsService],
})
export class SessionsModule {}
