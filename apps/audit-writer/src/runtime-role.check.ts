import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuditWriterConfig } from './config';

export type RuntimeRole = { role: string; verdict: 'append-only' | 'owner' | 'superuser' };

/**
 * What the connected role could do to the audit store: only INSERT and SELECT (its own role), or
 * rewrite history (the schema's owner, any role that inherits it, or a superuser).
 */
export async function runtimeRoleOf(
  query: (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>,
  schema: string,
): Promise<RuntimeRole> {
  const [row] = await query(
    `SELECT session_user AS role, r.rolsuper AS superuser,
            COALESCE((SELECT pg_has_role(session_user, n.nspowner, 'USAGE') FROM pg_namespace n WHERE n.nspname = $1), false) AS owner
       FROM pg_roles r WHERE r.rolname = session_user`,
    [schema],
  );
  const role = String(row?.role ?? 'unknown');
  if (row?.superuser) return { role, verdict: 'superuser' };
  return { role, verdict: row?.owner ? 'owner' : 'append-only' };
}

/**
 * Issue 14 item 9: the running writer never holds the audit owner's credentials. In production a
 * DATABASE_URL that connects as the owner (or a superuser) stops the start with the reason; in
 * development and tests (which run it as a superuser) it is a warning.
 */
@Injectable()
export class RuntimeRoleCheck implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: AuditWriterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const { role, verdict } = await runtimeRoleOf(
      (sql, params) => this.ds.query(sql, params),
      this.config.dbSchema,
    );
    if (verdict === 'append-only') return;
    const message =
      `DATABASE_URL connects as ${role}, which ${verdict === 'superuser' ? 'is a superuser' : `owns the ${this.config.dbSchema} schema`}: ` +
      'the writer must run as its append-only role (vigil_audit_writer); the owner only runs `npm run db:migrate -- audit-writer`';
    if (this.config.nodeEnv === 'production') throw new Error(message);
    this.logger.warn(`${message} (allowed outside production)`);
  }
}
