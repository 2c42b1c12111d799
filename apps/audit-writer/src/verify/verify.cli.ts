/**
 * `npm run audit:verify -- [--chain <id>]... [--json] [--witness FILE | --no-witness]`: walks every
 * hash chain of the audit store and its signed checkpoints, and checks the store against the
 * outside witness: the checkpoints and retention cuts published on audit.checkpoints.v1 (read from
 * the beginning, no consumer group offsets), or an exported copy of them (`--witness FILE`, made by
 * `npm run audit:witness`). Reports rows modified, deleted, inserted or reordered, forged
 * checkpoints, chains missing or cut short, checkpoints removed or altered, the time range that
 * verified clean, and what a signed retention cut archived. Exit 0 when all is well, 1 when
 * anything failed verification, 2 when it could not run.
 *
 * Reads DATABASE_URL (any role that may SELECT the audit schema), DB_SCHEMA [audit], AUDIT_KEY_DIR
 * [.cache/keys/audit] (the public keys, `<fingerprint>.pub.pem`), KAFKA_BROKERS [127.0.0.1:9092]
 * and AUDIT_TOPICS (which chains on the witness belong to this store; the writer's default).
 */
import { Pool } from 'pg';
import { env, loadConfig } from '@vigil/config';
import { AUDITED_TOPICS } from '@vigil/contracts';
import { Db } from '@vigil/database';
import { createKafka } from '@vigil/kafka';
import { loadKeyring } from '../checkpoints/signing-keys';
import { verifyStore, type StoreChainReport } from './verify-store';
import { chainInScope, witnessFromFile, witnessFromTopic, type Witness } from './witness-source';

const schema = {
  databaseUrl: env.url('DATABASE_URL', {
    default: 'postgres://postgres@127.0.0.1:5432/vigil',
    protocols: ['postgres', 'postgresql'],
    secret: true,
  }),
  dbSchema: env.string('DB_SCHEMA', { default: 'audit', pattern: /^[a-z_][a-z0-9_]{0,62}$/ }),
  keyDir: env.string('AUDIT_KEY_DIR', { default: '.cache/keys/audit' }),
  kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
  auditTopics: env.list('AUDIT_TOPICS', { default: [...AUDITED_TOPICS], pattern: /^[a-zA-Z0-9._-]+$/ }),
};

const NO_WITNESS_WARNING =
  'WARNING: --no-witness: the store is checked only against itself. A superuser who erased a whole chain, or cut its tail together with its checkpoints and head, leaves no trace this can see.';

interface Args {
  chains: string[];
  json: boolean;
  witness: { file: string } | 'topic' | 'none';
}

function args(argv: string[]): Args {
  const out: Args = { chains: [], json: false, witness: 'topic' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--chain' && argv[i + 1]) out.chains.push(argv[++i]);
    else if (a === '--json') out.json = true;
    else if (a === '--witness' && argv[i + 1]) out.witness = { file: argv[++i] };
    else if (a === '--no-witness') out.witness = 'none';
    else throw new Error(`unknown argument ${a} (use --chain <id>, --json, --witness FILE, --no-witness)`);
  }
  return out;
}

function line(r: StoreChainReport): string {
  const range = r.verifiedTo
    ? `clean from ${r.verifiedFrom} to ${r.verifiedTo}`
    : 'no clean range anchored by a valid checkpoint';
  const a = r.archived;
  const archived = a
    ? `; archived up to ${a.upToSeq} (policy ${a.policy}, cut ${a.cutAt}${a.lastCreatedAt ? `, rows until ${a.lastCreatedAt}` : ''})`
    : '';
  const seen = r.witness
    ? `; witness: ${r.witness.checkpoints} checkpoint(s)${r.witness.latestPosition !== undefined ? ` up to position ${r.witness.latestPosition}` : ''}`
    : '';
  return `${r.chainId}: ${r.validRows}/${r.rows} rows valid, ${r.validCheckpoints}/${r.checkpoints} checkpoints valid; ${range}${archived}${seen}`;
}

function timeRange(from?: string, to?: string): string {
  if (from && to) return ` between ${from} and ${to}`;
  return from ? ` after ${from}` : to ? ` until ${to}` : '';
}

async function loadWitness(a: Args, brokers: string[]): Promise<Witness | undefined> {
  if (a.witness === 'none') return undefined;
  if (a.witness !== 'topic') return witnessFromFile(a.witness.file);
  const kafka = createKafka({ brokers, clientId: 'vigil-audit-verify', retries: 2 });
  let shown = 0;
  return witnessFromTopic(kafka, (p) => {
    if (p.caughtUp || Date.now() - shown > 1000) {
      shown = Date.now();
      process.stderr.write(
        `reading the witness: ${p.read}/${p.total} record(s)${p.caughtUp ? ', caught up' : ''}\n`,
      );
    }
  }).catch((err: unknown) => {
    throw new Error(
      `the witness (audit.checkpoints.v1 on ${brokers.join(',')}) could not be read: ${(err as Error).message}; use --witness FILE for an exported copy, or --no-witness`,
    );
  });
}

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  const config = loadConfig(schema);
  const keyring = loadKeyring(config.keyDir);
  if (a.witness === 'none') console.error(NO_WITNESS_WARNING);
  const witness = await loadWitness(a, config.kafkaBrokers); // before the snapshot: see witnessFromTopic
  const pool = new Pool({
    connectionString: config.databaseUrl,
    application_name: 'vigil-audit-verify',
    max: 1,
  });
  try {
    if (!a.json && a.witness === 'none') console.log(NO_WITNESS_WARNING);
    const report = await new Db(pool).tx(
      (c) =>
        verifyStore(c, config.dbSchema, keyring, {
          chains: a.chains,
          witness,
          inScope: (chainId) => chainInScope(chainId, config.auditTopics),
          onChain: (r) => !a.json && console.log(line(r)),
        }),
      {},
      { isolation: 'repeatable read', readOnly: true }, // one consistent snapshot
    );
    if (a.json) {
      console.log(
        JSON.stringify(
          { ...report, ...(a.witness === 'none' ? { warning: NO_WITNESS_WARNING } : {}) },
          null,
          2,
        ),
      );
    } else {
      for (const c of report.chains) {
        for (const f of c.findings)
          console.log(
            `  ${f.kind.toUpperCase()} ${c.chainId} @${f.at}${f.eventId ? ` event ${f.eventId}` : ''}${timeRange(f.from, f.to)}: ${f.detail}`,
          );
      }
      const w = report.witness;
      const against = w
        ? `against the witness ${w.source} (${w.records} record(s) of ${w.chains} chain(s) of this store${w.unreadable ? `, ${w.unreadable} unreadable` : ''})`
        : 'WITHOUT the outside witness';
      console.log(
        `${report.validRows}/${report.rows} rows valid, ${report.validCheckpoints}/${report.checkpoints} checkpoints valid, ${report.chains.length} chain(s), ${against}: ${report.ok ? 'VERIFIED' : 'FAILED'}`,
      );
    }
    return report.ok ? 0 : 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`audit verify could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
