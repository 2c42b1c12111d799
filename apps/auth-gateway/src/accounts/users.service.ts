import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'winston';
import { normalizeRoles, type Role } from '@vigil/auth';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { Db } from '@vigil/database';
import type { AuthGatewayConfig } from '../config';
import { VIA_API } from '../database/database.module';
import { canonicalUsername } from './username';
import { attemptedUsername, gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { OutboxWriter } from '../outbox/outbox.writer';
import { PasswordHasher } from '../passwords/password-hasher';
import { checkPassword } from '../passwords/password-policy';
import { UsersRepository, type UserRow } from './users.repository';

export interface Actor {
  userId: string;
  roles: string[];
}

/** Creating users (admin API, and the first administrator at start). */
@Injectable()
export class UsersService implements OnApplicationBootstrap {
  constructor(
    private readonly db: Db,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** 400 naming the rules a new password breaks (never echoing it). */
  assertPasswordAcceptable(password: string, username: string, email: string): void {
    const violations = checkPassword(password, { minLength: this.config.passwordMinLength, username, email });
    if (violations.length) {
      throw new BadRequestException({
        type: 'https://vigil.dev/problems/weak-password',
        title: 'Bad Request',
        detail: `password rejected: ${violations.join(', ')}`,
        errors: violations,
      });
    }
  }

  async create(
    input: { username: string; email: string; password: string; roles: Role[] },
    actor: Actor | undefined,
    meta: RequestMeta | undefined,
  ): Promise<UserRow> {
    const username = canonicalUsername(input.username);
    const email = input.email.trim();
    this.assertPasswordAcceptable(input.password, username, email);
    const hash = await this.hasher.hash(input.password);
    const roles = normalizeRoles(input.roles.length ? input.roles : ['user']);
    try {
      const user = await this.db.tx(async (sql) => {
        const row = await this.users.insert(sql, { username, email, passwordHash: hash, roles });
        await this.outbox.append(sql, [
          gatewayEvent('USER_CREATED', {
            ...(actor ? { actor } : {}),
            subject: { userId: row.id, username: attemptedUsername(row.username) },
            outcome: 'success',
            attributes: { roles: row.roles, channel: 'api' },
            meta,
          }),
        ]);
        return row;
      }, VIA_API);
      this.outbox.written();
      return user;
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictException({
          type: 'https://vigil.dev/problems/user-exists',
          title: 'Conflict',
          detail: 'a user with this username or e-mail exists',
        });
      }
      throw err;
    }
  }

  /** BOOTSTRAP_ADMIN_*: creates the first administrator when there is none (idempotent across instances). */
  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    if (!c.bootstrapAdminUsername || !c.bootstrapAdminEmail || !c.bootstrapAdminPassword) return;
    if ((await this.users.countAdmins()) > 0) return;
    try {
      const user = await this.create(
        {
          username: c.bootstrapAdminUsername,
          email: c.bootstrapAdminEmail,
          password: c.bootstrapAdminPassword,
          roles: ['admin', 'user'],
        },
        undefined,
        undefined,
      );
      this.logger.info('bootstrap administrator created', { userId: user.id });
    } catch (err) {
      if (err instanceof ConflictException) return; // another instance made it
      throw err;
    }
  }
}
