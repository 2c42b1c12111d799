import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { LockoutModule } from '../lockout/lockout.module';
import { OutboxModule } from '../outbox/outbox.module';
import { PasswordsModule } from '../passwords/passwords.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AccountActions } from './account-actions';
import { SessionRevocationCheck } from './session-revocation.check';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/**
 * Users and what can be done to an account (lock, unlock, revoke its sessions), shared by the
 * admin API and the security-action consumer; the bootstrap administrator; the per-request check
 * that a token's session and user are still good (SessionRevocationCheck, for @vigil/auth).
 */
@Module({
  imports: [DatabaseModule, OutboxModule, PasswordsModule, SessionsModule, LockoutModule],
  providers: [UsersRepository, UsersService, AccountActions, SessionRevocationCheck],
  exports: [UsersRepository, UsersService, AccountActions, SessionRevocationCheck],
})
export class AccountsModule {}
