import type { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { createDataSource, pendingMigrations, runMigrations } from '@vigil/database';
import { SERVICE, type RetentionWorkerConfig } from '../config';
import { OpsOutbox } from '../events/ops-outbox';
import { migrations } from '../migrations';

/**
 * What the operator commands (npm run retention, backup) stand on: the worker's own schema,
 * migrated as the worker would (or refused with the command that migrates it), and its outbox,
 * used only to `add`: the events wait there for the running worker to publish them.
 */
export async function openWorkerDatabase(
  config: RetentionWorkerConfig,
  logger: Logger,
  applicationName: string,
): Promise<{ ds: DataSource; outbox: OpsOutbox }> {
  const ds = createDataSource({
    url: config.databaseUrl,
    schema: config.dbSchema,
    poolMax: 4,
    applicationName,
    migrations,
  });
  await ds.initialize();
  try {
    if (config.dbMigrateOnStart) await runMigrations(ds, `vigil:${SERVICE}:migrations`);
    const pending = await pendingMigrations(ds);
    if (pending.length)
      throw new Error(
        `the worker's schema ${config.dbSchema} has pending migrations (${pending.join(', ')}): run npm run db:migrate -- retention-worker`,
      );
  } catch (err) {
    await ds.destroy();
    throw err;
  }
  return { ds, outbox: new OpsOutbox(ds, undefined as never, undefined as never, logger) };
}
