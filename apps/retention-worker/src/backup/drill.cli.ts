/**
 * `npm run backup:drill -- [--backup <id>] [--keep] [--witness topic|FILE] [--json]`: restores a
 * backup (the newest complete one by default) into a scratch database `vigil_drill_<random>`,
 * checks every file's SHA-256, each table's rows against the manifest, and runs the audit
 * verifier (`npm run audit:verify`) there. Without --witness the verifier checks the restored store
 * against itself and its signed checkpoints: the live witness has checkpoints newer than any
 * backup and would call it truncated; give a witness exported when the backup was taken
 * (`npm run audit:witness`), or `topic` for a backup taken just now.
 *
 * Reads the worker's ARCHIVE_* (where backups are), DATABASE_ADMIN_URL (a superuser that may create
 * and drop databases; default postgres://postgres@127.0.0.1:5432/postgres), PG_RESTORE_PATH, and
 * passes AUDIT_KEY_DIR, AUDIT_TOPICS and KAFKA_BROKERS through to the verifier. Exit 0 when the
 * drill passed, 1 on any mismatch, 2 when it could not run, 78 on bad configuration.
 */
import { ConfigError, env, loadConfig } from '@vigil/config';
import { archiveSchema } from '../archive/archive.config';
import { createArchiveStore } from '../archive/archive-store.factory';
import { backupSchema } from './backup.config';
import { runDrill, type DrillOptions } from './restore-drill';

const schema = {
  ...archiveSchema,
  pgRestorePath: backupSchema.pgRestorePath,
  adminUrl: env.url('DATABASE_ADMIN_URL', {
    default: 'postgres://postgres@127.0.0.1:5432/postgres',
    protocols: ['postgres', 'postgresql'],
    secret: true,
  }),
};

function args(argv: string[]): {
  backupId?: string;
  keep: boolean;
  json: boolean;
  witness: DrillOptions['witness'];
} {
  const out: ReturnType<typeof args> = { keep: false, json: false, witness: 'none' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--backup' && argv[i + 1]) out.backupId = argv[++i];
    else if (a === '--keep') out.keep = true;
    else if (a === '--json') out.json = true;
    else if (a === '--witness' && argv[i + 1]) {
      const w = argv[++i];
      out.witness = w === 'topic' ? 'topic' : w === 'none' ? 'none' : { file: w };
    } else throw new Error(`unknown argument ${a} (use --backup <id>, --keep, --witness topic|FILE, --json)`);
  }
  if (out.backupId !== undefined && !/^[A-Za-z0-9._:@-]{1,64}$/.test(out.backupId))
    throw new Error('--backup must be a backup id such as 20260102T020000Z-3fa9c1');
  return out;
}

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  let config;
  try {
    config = loadConfig(schema);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78;
    }
    throw err;
  }
  const report = await runDrill({
    store: createArchiveStore(config),
    adminUrl: config.adminUrl,
    pgRestorePath: config.pgRestorePath,
    backupId: a.backupId,
    keep: a.keep,
    witness: a.witness,
    say: a.json ? undefined : (line) => console.log(line),
  });
  if (a.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const p of report.problems) console.log(`  MISMATCH ${p}`);
    console.log(
      `drill of backup ${report.backupId}: ${report.files} files (${report.bytes} bytes), ${report.rows} rows restored, verify ${report.verify ? report.verify.summary : 'not run'}, ${report.durationMs} ms: ${report.ok ? 'PASSED' : 'FAILED'}${report.kept ? `; scratch database ${report.database} kept` : ''}`,
    );
  }
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`backup drill could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
