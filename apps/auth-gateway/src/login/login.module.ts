import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DatabaseModule } from '../database/database.module';
import { EventsModule } from '../events/events.module';
import { KeysModule } from '../keys/keys.module';
import { LockoutModule } from '../lockout/lockout.module';
import { MaintenanceModeModule } from '../maintenance-mode/maintenance-mode.module';
import { OutboxModule } from '../outbox/outbox.module';
import { PasswordsModule } from '../passwords/passwords.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AuthController } from './auth.controller';
import { LoginRepository } from './login.repository';
import { LoginService } from './login.service';

/**
 * Password login with throttling and lockout, and the `/api/v1/auth/*` endpoints (AuthController:
 * login, refresh, password, logout, me; refresh and logout are the sessions module's; token, revoke
 * and introspect are the oauth module's);
 * session-making routes are closed while maintenance mode is on.
 */
@Module({
  imports: [
    DatabaseModule,
    OutboxModule,
    EventsModule,
    KeysModule,
    PasswordsModule,
    LockoutModule,
    SessionsModule,
    AccountsModule,
    MaintenanceModeModule,
  ],
  controllers: [AuthController],
  providers: [LoginRepository, LoginService],
  exports: [LoginRepository, LoginService],
})
export class LoginModule {}
