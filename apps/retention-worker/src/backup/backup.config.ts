import { env, type ConfigOf, type Field } from '@vigil/config';
import { parseSchedule } from '../schedule/schedule';

/** A schedule variable, parsed at start so a malformed value names its variable. */
function scheduleField(variable: string, fallback: string): Field<string> {
  const inner = env.string(variable, { default: fallback, maxLength: 64 });
  return {
    variable,
    secret: false,
    read(source) {
      const read = inner.read(source);
      if (read.problem || read.value === undefined) return read;
      try {
        parseSchedule(read.value);
        return read;
      } catch (err) {
        return { problem: `${variable} ${(err as Error).message}` };
      }
    },
  };
}

/**
 * Backups (spread into the retention-worker's schema): partition-aware pg_dump of BACKUP_SCHEMAS
 * into the archive store under `backups/<id>/`, on BACKUP_SCHEDULE, keeping BACKUP_KEEP complete ones.
 */
export const backupSchema = {
  backupSchedule: scheduleField('BACKUP_SCHEDULE', 'daily 02:00'),
  /** The role pg_dump connects as (vigil_backup: pg_read_all_data); its password reaches pg_dump through PGPASSWORD only. */
  backupDatabaseUrl: env.url('BACKUP_DATABASE_URL', {
    default: 'postgres://postgres@127.0.0.1:5432/vigil',
    protocols: ['postgres', 'postgresql'],
    secret: true,
  }),
  backupSchemas: env.list('BACKUP_SCHEMAS', {
    default: ['gateway', 'audit'],
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
  }),
  /** Complete backups kept; older ones are deleted after a new one completes (never the newest). */
  backupKeep: env.int('BACKUP_KEEP', { default: 7, min: 1, max: 1000 }),
  pgDumpPath: env.string('PG_DUMP_PATH', { default: 'pg_dump', maxLength: 4096 }),
  pgRestorePath: env.string('PG_RESTORE_PATH', { default: 'pg_restore', maxLength: 4096 }),
};

export type BackupConfig = ConfigOf<typeof backupSchema>;
