import type { DataSource } from 'typeorm';
import { schemaOf } from './data-source';

export interface MigrationReport {
  applied: string[];
  pending: string[];
}

/**
 * Applies pending migrations (each in its own transaction) under an advisory lock, so several
 * instances starting at once do not race. Returns what was applied.
 */
export async function runMigrations(ds: DataSource, lockKey: string): Promise<MigrationReport> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    const schema = schemaOf(ds);
    // Normally the set-up script made it (owned by the service's role); CREATE needs a privilege
    // the service role does not have, so only try when it is really missing.
    const exists = await runner.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.length === 0) await runner.query(`CREATE SCHEMA "${schema}"`);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return { applied: applied.map((m) => m.name), pending: [] };
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * Names of migrations not yet applied; readiness fails while any are pending. Read-only (TypeORM's
 * showMigrations would try to create the migrations table, which a role that may not change its
 * schema, like the audit writer's, is refused).
 */
export async function pendingMigrations(ds: DataSource): Promise<string[]> {
  const schema = schemaOf(ds);
  // From the catalog: to_regclass needs USAGE on the schema, which the writer is granted by a migration.
  const [{ table }] = await ds.query(
    `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = $1 AND c.relname = 'schema_migrations') AS table`,
    [schema],
  );
  const executed = new Set<string>(
    table
      ? (await ds.query(`SELECT name FROM "${schema}"."schema_migrations"`)).map(
          (r: { name: string }) => r.name,
        )
      : [],
  );
  return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !executed.has(n));
}
