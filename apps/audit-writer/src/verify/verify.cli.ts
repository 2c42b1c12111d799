/**
 * `npm run audit:verify -- [--chain <id>]... [--json]`: walks every hash chain of the audit store
 * and its signed checkpoints, and reports rows modified, deleted, inserted or reordered, forged
 * checkpoints, and the time range that verified clean. Exit 0 when all is well, 1 when anything
 * failed verification, 2 when it could not run.
 *
 * Reads DATABASE_URL (any role that may SELECT the audit schema), DB_SCHEMA [audit] and
 * AUDIT_KEY_DIR [.cache/keys/audit] (the public keys, `<fingerprint>.pub.pem`).
 */
import { Client } from 'pg';
import { env, loadConfig } from '@vigil/config';
import type { ChainReport } from '@vigil/chain';
import { loadKeyring } from '../checkpoints/signing-keys';
import { verifyStore } from './verify-store';

const schema = {
  databaseUrl: env.url('DATABASE_URL', { default: 'postgres://postgres@127.0.0.1:5432/vigil', protocols: ['postgres', 'postgresql'], secret: true }),
  dbSchema: env.string('DB_SCHEMA', { default: 'audit', pattern: /^[a-z_][a-z0-9_]{0,62}$/ }),
  keyDir: env.string('AUDIT_KEY_DIR', { default: '.cache/keys/audit' }),
};

function args(argv: string[]): { chains: string[]; json: boolean } {
  const chains: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--chain') chains.push(argv[++i]);
    else if (argv[i] === '--json') json = true;
    else throw new Error(`unknown argument ${argv[i]} (use --chain <id>, --json)`);
  }
  return { chains, json };
}

function line(r: ChainReport): string {
  const range = r.verifiedTo ? `clean from ${r.verifiedFrom} to ${r.verifiedTo}` : 'no clean range anchored by a valid checkpoint';
  return `${r.chainId}: ${r.validRows}/${r.rows} rows valid, ${r.validCheckpoints}/${r.checkpoints} checkpoints valid; ${range}`;
}

async function main(): Promise<number> {
  const { chains, json } = args(process.argv.slice(2));
  const config = loadConfig(schema);
  const keyring = loadKeyring(config.keyDir);
  const db = new Client({ connectionString: config.databaseUrl, application_name: 'vigil-audit-verify' });
  await db.connect();
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'); // one consistent snapshot
    const report = await verifyStore(db, config.dbSchema, keyring, { chains, onChain: (r) => !json && console.log(line(r)) });
    await db.query('COMMIT');
    if (json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      for (const c of report.chains) for (const f of c.findings) console.log(`  ${f.kind.toUpperCase()} ${c.chainId} @${f.at}${f.eventId ? ` event ${f.eventId}` : ''}${f.from ? ` between ${f.from} and ${f.to}` : ''}: ${f.detail}`);
      console.log(`${report.validRows}/${report.rows} rows valid, ${report.validCheckpoints}/${report.checkpoints} checkpoints valid, ${report.chains.length} chain(s): ${report.ok ? 'VERIFIED' : 'FAILED'}`);
    }
    return report.ok ? 0 : 1;
  } finally {
    await db.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`audit verify could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
