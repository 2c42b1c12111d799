/**
 * The one-shot migration command: applies a service's pending migrations as its schema's owner.
 * The audit store is the reason it exists: its owner may ALTER what the writer may only INSERT
 * into, so the owner's credentials live here, in a job that runs before the writer starts
 * (start-all, compose's `audit-migrate`, a Kubernetes Job), and never in the running writer.
 *
 *   DATABASE_MIGRATION_URL=postgres://vigil_audit_owner:...@host/vigil npm run db:migrate -- audit-writer
 *
 * Variables: DATABASE_MIGRATION_URL (required; or DATABASE_MIGRATION_URL_FILE), DB_SCHEMA (the
 * service's schema by default). Exit 0 when the schema is up to date, 1 on failure, 78 on bad
 * configuration. Concurrent runs (and services migrating at start) serialise on an advisory lock.
 */
import type { MigrationInterface } from 'typeorm';
import { ConfigError, env, loadConfig } from '@vigil/config';
import { createDataSource, pendingMigrations, runMigrations } from '@vigil/database';
type Migrations = Array<new () => MigrationInterface>;

/**
 * Each service's migrations, loaded only for the service named: a service's image holds its own
 * app (deploy/docker/Dockerfile), so the Kubernetes migration Job runs this from the app's image.
 */
const SERVICES: Record<string, { schema: string; load: () => Promise<Migrations> }> = {
  'auth-gateway': {
    schema: 'gateway',
    load: async () => (await import('../apps/auth-gateway/src/migrations')).migrations,
  },
  'audit-writer': {
    schema: 'audit',
    load: async () => (await import('../apps/audit-writer/src/migrations')).migrations,
  },
  'security-monitor': {
    schema: 'monitor',
    load: async () => (await import('../apps/security-monitor/src/migrations')).migrations,
  },
  'retention-worker': {
    schema: 'retention',
    load: async () => (await import('../apps/retention-worker/src/migrations')).migrations,
  },
};

const say = (line: string) => process.stderr.write(`[migrate] ${line}\n`);

async function main(): Promise<number> {
  const service = process.argv[2];
  const target = service ? SERVICES[service] : undefined;
  if (!target) {
    say(`usage: npm run db:migrate -- <${Object.keys(SERVICES).join('|')}>`);
    return 2;
  }
  let config;
  try {
    config = loadConfig({
      url: env.url('DATABASE_MIGRATION_URL', { protocols: ['postgres', 'postgresql'], secret: true }),
      schema: env.string('DB_SCHEMA', { default: target.schema, pattern: /^[a-z_][a-z0-9_]{0,62}$/ }),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      say(err.message);
      return 78;
    }
    throw err;
  }
  const ds = createDataSource({
    url: config.url,
    schema: config.schema,
    poolMax: 2,
    applicationName: `vigil-${service}-migrate`,
    migrations: await target.load(),
  });
  try {
    await ds.initialize();
    const before = await pendingMigrations(ds);
    say(
      `${service}: schema ${config.schema}, ${before.length} pending${before.length ? `: ${before.join(', ')}` : ''}`,
    );
    const report = await runMigrations(ds, `vigil:${service}:migrations`);
    say(
      `${service}: applied ${report.applied.length}${report.applied.length ? `: ${report.applied.join(', ')}` : ''}; up to date`,
    );
    return 0;
  } catch (err) {
    // pg's messages never carry the password; the URL itself is never printed.
    say(`${service}: failed: ${(err as Error).message}`);
    return 1;
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

main().then((code) => process.exit(code));
