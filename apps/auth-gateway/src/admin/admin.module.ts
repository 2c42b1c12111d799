import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DatabaseModule } from '../database/database.module';
import { EventsModule } from '../events/events.module';
import { OutboxModule } from '../outbox/outbox.module';
import { PasswordsModule } from '../passwords/passwords.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';

/** `/api/v1/admin/users` and `/api/v1/admin/sessions` (admin role): users, roles, activation, locks, passwords, sessions. */
@Module({
  imports: [DatabaseModule, OutboxModule, EventsModule, PasswordsModule, AccountsModule, SessionsModule],
  controllers: [AdminUsersController, AdminSessionsController],
  providers: [AdminUsersService],
})
export class AdminModule {}
