/**
 * `npm run audit:witness -- --out FILE [--follow]`: keeps an auditor's copy of the outside
 * witness, the signed checkpoints and retention cuts published on audit.checkpoints.v1, as JSON
 * lines (one record each, `kind` = checkpoint | retention_cut, then the published attributes).
 * Reads the topic from the beginning (no consumer group offsets), appends what the file does not
 * hold yet (deduplicated by chain + position + signing time), and with --follow keeps tailing until
 * SIGINT/SIGTERM. Keep the file outside the database's trust domain; `audit:verify --witness FILE`
 * checks a store against it offline. Exit 0 on success, 2 when it could not run.
 *
 * Reads KAFKA_BROKERS [127.0.0.1:9092].
 */
import { closeSync, existsSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { witnessLine, witnessRecordKey } from '@vigil/chain';
import { env, loadConfig } from '@vigil/config';
import { Topics } from '@vigil/contracts';
import { createKafka, readTopic } from '@vigil/kafka';
import { witnessFromFile, witnessRecordOf } from './witness-source';

const schema = { kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }) };

function args(argv: string[]): { out: string; follow: boolean } {
  let out: string | undefined;
  let follow = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = argv[++i];
    else if (argv[i] === '--follow') follow = true;
    else throw new Error(`unknown argument ${argv[i]} (use --out FILE, --follow)`);
  }
  if (!out) throw new Error('--out FILE is required');
  return { out, follow };
}

async function main(): Promise<number> {
  const { out, follow } = args(process.argv.slice(2));
  const config = loadConfig(schema);
  const existing = existsSync(out) ? witnessFromFile(out) : { records: [], unreadable: 0 };
  if (existing.unreadable)
    console.error(`${out}: ${existing.unreadable} line(s) are not witness records; left as they are`);
  const known = new Set(existing.records.map(witnessRecordKey));
  const fd = openSync(out, 'a', 0o644);
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
  let appended = 0;
  let foreign = 0;
  let shown = 0;
  let live = false; // caught up and following: report (and sync) each record as it comes
  try {
    const result = await readTopic(
      createKafka({ brokers: config.kafkaBrokers, clientId: 'vigil-audit-witness', retries: 2 }),
      Topics.AUDIT_CHECKPOINTS,
      ({ message }) => {
        const r = witnessRecordOf(message.value);
        if (!r) return void foreign++;
        const key = witnessRecordKey(r);
        if (known.has(key)) return;
        known.add(key);
        writeSync(fd, `${witnessLine(r)}\n`);
        appended++;
        if (!live) return;
        fsyncSync(fd);
        console.log(
          `+ ${r.kind} ${r.chainId} ${r.kind === 'checkpoint' ? `position ${r.position} signed ${r.signedAt}` : `up to seq ${r.upToSeq} cut ${r.cutAt}`}`,
        );
      },
      {
        follow,
        signal: abort.signal,
        onProgress: (p) => {
          if (!p.caughtUp && Date.now() - shown < 1000) return;
          shown = Date.now();
          fsyncSync(fd); // what is reported as copied is on disk
          console.log(
            `${Topics.AUDIT_CHECKPOINTS}: ${p.read}/${p.total} record(s) read, ${appended} new appended to ${out}${p.caughtUp ? ' (caught up)' : ''}`,
          );
          if (p.caughtUp && follow) {
            live = true;
            console.log('following; Ctrl-C to stop');
          }
        },
      },
    );
    fsyncSync(fd);
    console.log(
      `${out}: ${known.size} record(s), ${appended} new from ${result.read} read${foreign ? `, ${foreign} other message(s) ignored` : ''}`,
    );
    return 0;
  } finally {
    closeSync(fd);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`audit witness could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
