/**
 * `npm run retention -- <command>` (and `npm run retention:report`): the operator's side of the
 * retention worker, run with the worker's own variables (DATABASE_URL, DB_SCHEMA, AUDIT_DB_SCHEMA,
 * RETENTION_*, ARCHIVE_*). It acts in-process as the worker would: the same advisory lock, guard
 * functions and outbox (events wait there for the running worker to publish them; the actor is
 * `cli:<os user>`). A real run needs the audit-writer up, since it signs the retention cuts.
 * Exit 0; 1 when the run or restore failed; 2 on a usage error; 75 when another run holds the lock;
 * 78 on bad configuration.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ConfigError } from '@vigil/config';
import { Db } from '@vigil/database';
import { createLogger } from '@vigil/telemetry';
import { createArchiveStore } from '../archive/archive-store.factory';
import { loadRetentionWorkerConfig, SERVICE, type RetentionWorkerConfig } from '../config';
import type { Actor } from '../events/ops-outbox';
import { ExpiryService, RunInProgress } from '../expiry/expiry.service';
import { holdAttributes, HoldsRepository, type LegalHold } from '../holds/holds.repository';
import { describePolicy } from '../policy/policy';
import { formatReport, retentionReport } from '../report/retention-report';
import { RestoreRefused, RestoreService } from '../restore/restore.service';
import { parseRetentionArgs, USAGE, UsageError, type RetentionCommand } from './retention-args';
import { openWorkerDatabase } from './worker-database';

const out = (json: boolean, value: unknown, text: () => string) =>
  console.log(json ? JSON.stringify(value, null, 2) : text());

async function main(argv: string[]): Promise<number> {
  let cmd: RetentionCommand;
  try {
    cmd = parseRetentionArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  let config: RetentionWorkerConfig;
  try {
    config = loadRetentionWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78;
    }
    throw err;
  }
  if (cmd.cmd === 'policy') {
    out(cmd.json, describePolicy(config.policy), () =>
      JSON.stringify(describePolicy(config.policy), null, 2),
    );
    return 0;
  }
  const logger = createLogger({ service: `${SERVICE}-cli`, level: 'error' });
  const { ds, outbox } = await openWorkerDatabase(config, logger, 'vigil-retention-cli');
  try {
    const db = Db.of(ds);
    const actor: Actor = {
      userId: `cli:${os.userInfo().username}`.replace(/[^A-Za-z0-9._:@-]/g, '_').slice(0, 64),
      roles: ['operator'],
    };
    switch (cmd.cmd) {
      case 'report': {
        const rep = await retentionReport(
          db,
          { audit: config.auditDbSchema, retention: config.dbSchema },
          config.policy,
          cmd.gapHours,
        );
        out(cmd.json, rep, () => formatReport(rep));
        return 0;
      }
      case 'run': {
        const expiry = new ExpiryService(ds, outbox, createArchiveStore(config), config, logger);
        try {
          const r = await expiry.run({
            trigger: 'cli',
            dryRun: cmd.dryRun,
            retentionDays: cmd.days,
            actor,
            progress: cmd.json ? undefined : (l) => console.log(l),
          });
          if (cmd.json) out(true, r, () => '');
          else if (cmd.dryRun)
            console.log(
              [
                `would archive and drop ${r.totals.partitions} partition(s), ${r.totals.rows} row(s), ${r.totals.bytes} bytes:`,
                ...r.partitions.map(
                  (p) =>
                    `  ${p.name}: ${p.rows} rows, ${p.bytes} bytes${p.heldBy ? `, kept (hold ${p.heldBy})` : ''}`,
                ),
              ].join('\n'),
            );
          for (const f of r.failures) console.error(`failed: ${f.partition ?? f.step}: ${f.error}`);
          return r.outcome === 'success' ? 0 : 1;
        } catch (err) {
          if (err instanceof RunInProgress) {
            console.error(err.message);
            return 75;
          }
          throw err;
        }
      }
      case 'holds-list': {
        const holds = await new HoldsRepository(config.auditDbSchema).list(db, cmd.all);
        out(cmd.json, holds, () =>
          holds.length ? holds.map(describeHold).join('\n') : 'no active legal holds',
        );
        return 0;
      }
      case 'holds-set': {
        const repo = new HoldsRepository(config.auditDbSchema);
        const hold = await db.tx(async (c) => {
          const h = await repo.insert(c, {
            holdId: `hold-${randomBytes(6).toString('hex')}`,
            userId: cmd.userId,
            action: cmd.action,
            from: cmd.from,
            to: cmd.to,
            reason: cmd.reason,
            createdBy: actor.userId,
          });
          await outbox.add(c, 'LEGAL_HOLD_SET', holdAttributes(h, cmd.reason), actor);
          return h;
        });
        out(cmd.json, hold, () => `set ${describeHold(hold)}`);
        return 0;
      }
      case 'holds-release': {
        const repo = new HoldsRepository(config.auditDbSchema);
        const hold = await db.tx(async (c) => {
          const h = await repo.release(c, cmd.holdId, actor.userId, cmd.reason);
          if (h) await outbox.add(c, 'LEGAL_HOLD_RELEASED', holdAttributes(h, cmd.reason), actor);
          return h;
        });
        if (!hold) {
          console.error(`no active hold ${cmd.holdId}`);
          return 1;
        }
        out(cmd.json, hold, () => `released ${describeHold(hold)}`);
        return 0;
      }
      case 'restore': {
        const restore = new RestoreService(ds, outbox, createArchiveStore(config), config, logger);
        try {
          const r = await restore.restore(
            { day: cmd.day, archiveId: cmd.archiveId },
            actor,
            cmd.json ? undefined : (l) => console.log(l),
          );
          out(
            cmd.json,
            r,
            () =>
              `restored ${r.rows} row(s) into ${r.table} (restore ${r.restoreId}); search them with GET /api/v1/audit/logs?source=restored`,
          );
          return 0;
        } catch (err) {
          if (err instanceof RestoreRefused) {
            console.error(err.message);
            return 1;
          }
          throw err;
        }
      }
    }
  } finally {
    await ds.destroy();
  }
}

function describeHold(h: LegalHold): string {
  const scope = [
    h.userId && `user ${h.userId}`,
    h.action && `action ${h.action}`,
    (h.from || h.to) && `${h.from ?? '…'} .. ${h.to ?? '…'}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${h.holdId}: ${scope} - ${h.reason} (by ${h.createdBy} at ${h.createdAt}${h.releasedAt ? `; released ${h.releasedAt} by ${h.releasedBy}: ${h.releaseReason}` : ''})`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`retention: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
