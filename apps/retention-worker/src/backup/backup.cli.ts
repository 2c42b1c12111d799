/**
 * `npm run backup`: one backup now, as the worker's schedule would take it (same variables as the
 * worker: DATABASE_URL and DB_SCHEMA for its own schema, BACKUP_* and PG_DUMP_PATH, ARCHIVE_*).
 * Prints progress per file and the manifest key. Exit 0 on success, 1 on failure, 75 when another
 * backup holds the lock, 78 on bad configuration. BACKUP_DONE is recorded in the worker's outbox
 * and published by the running worker.
 */
import { ConfigError } from '@vigil/config';
import { Db } from '@vigil/database';
import { createLogger } from '@vigil/telemetry';
import { createArchiveStore } from '../archive/archive-store.factory';
import { loadRetentionWorkerConfig, SERVICE } from '../config';
import { openWorkerDatabase } from '../cli/worker-database';
import { BackupInProgress, BackupRunner } from './backup-runner';

async function main(): Promise<number> {
  let config;
  try {
    config = loadRetentionWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78;
    }
    throw err;
  }
  const logger = createLogger({ service: `${SERVICE}-backup`, level: 'error' });
  const { ds, outbox } = await openWorkerDatabase(config, logger, 'vigil-backup-cli');
  try {
    const runner = new BackupRunner({
      db: Db.of(ds),
      schema: config.dbSchema,
      store: createArchiveStore(config),
      logger,
      backupDatabaseUrl: config.backupDatabaseUrl,
      backupSchemas: config.backupSchemas,
      backupKeep: config.backupKeep,
      pgDumpPath: config.pgDumpPath,
      auditDbSchema: config.auditDbSchema,
      recordDone: (db, attributes) => outbox.add(db, 'BACKUP_DONE', attributes),
    });
    try {
      const r = await runner.run('cli', (line) => console.log(line));
      console.log(`manifest: ${r.manifestKey} (sha256 ${r.manifestSha256})`);
      if (r.pruned.length) console.log(`deleted (BACKUP_KEEP=${config.backupKeep}): ${r.pruned.join(', ')}`);
      return 0;
    } catch (err) {
      if (err instanceof BackupInProgress) {
        console.error(`backup not taken: ${err.message}`);
        return 75;
      }
      console.error(`backup failed: ${(err as Error).message}`);
      return 1;
    }
  } finally {
    await ds.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`backup could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
