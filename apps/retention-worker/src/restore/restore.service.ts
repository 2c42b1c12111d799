import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { rowHash } from '@vigil/chain';
import { Db } from '@vigil/database';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { ArchiveStore } from '../archive/archive-store';
import { ARCHIVE_STORE } from '../archive/archive.tokens';
import type { RetentionWorkerConfig } from '../config';
import { OpsOutbox, type Actor } from '../events/ops-outbox';
import { compareSummaries, readArchive, type ArchivedRow } from '../expiry/archive-format';
import { AuditStoreRepository, type ManifestRow } from '../expiry/audit-store.repository';

export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

export interface RestoreResult {
  restoreId: string;
  table: string;
  archives: Array<{ archiveId: string; partition: string; rows: number }>;
  rows: number;
}

const BATCH = 1000;
export const RESTORED_TABLE = 'audit_logs_restored';

/**
 * Loads archives back for search: into `<RESTORE_DB_SCHEMA>.audit_logs_restored` (never
 * audit_logs), where the audit query API finds them with `source=restored`. The rows go in inside
 * one transaction that commits only if the object matches its manifest (SHA-256, count, chain
 * ends), every row's hash recomputes from its content, consecutive rows link, and a chain's last
 * row matches its signed retention cut: nothing unverified is ever visible.
 */
@Injectable()
export class RestoreService {
  private readonly repo: AuditStoreRepository;
  private readonly t: string;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OpsOutbox,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.repo = new AuditStoreRepository(config.auditDbSchema);
    this.t = `"${config.restoreDbSchema}".${RESTORED_TABLE}`;
  }

  /** Restores one archive, or every archive of one day (seed 001-53). */
  async restore(
    target: { archiveId?: string; day?: string },
    actor?: Actor,
    progress?: (l: string) => void,
  ): Promise<RestoreResult> {
    const db = Db.of(this.ds);
    let manifests: ManifestRow[];
    if (target.archiveId) {
      const m = await this.repo.manifest(db, target.archiveId);
      if (!m || !m.verifiedAt || m.failedAt || m.deletedAt)
        throw new RestoreRefused(`no verified archive ${target.archiveId}`);
      manifests = [m];
    } else if (target.day) {
      manifests = await this.repo.manifestsOfDay(db, target.day);
      if (!manifests.length) throw new RestoreRefused(`no verified archive of ${target.day}`);
    } else throw new RestoreRefused('name an archive_id or a day');
    await this.ensureTable();
    const restoreId = `rst-${new Date()
      .toISOString()
      .replace(/[-:.TZ]/g, '')
      .slice(0, 14)}-${randomBytes(3).toString('hex')}`;
    const result: RestoreResult = {
      restoreId,
      table: `${this.config.restoreDbSchema}.${RESTORED_TABLE}`,
      archives: [],
      rows: 0,
    };
    for (const m of manifests) {
      const rows = await db.tx(async (c) => {
        await c.query(`DELETE FROM ${this.t} WHERE archive_id = $1`, [m.archiveId]); // a re-restore replaces, never doubles
        const n = await this.load(c, m, restoreId);
        await this.outbox.add(
          c,
          'RESTORE_DONE',
          { restoreId, archiveId: m.archiveId, partition: m.partition, rows: n, table: result.table },
          actor,
        );
        return n;
      });
      result.archives.push({ archiveId: m.archiveId, partition: m.partition, rows });
      result.rows += rows;
      progress?.(`${m.archiveId}: ${rows} row(s) verified and restored into ${result.table}`);
      this.logger.info('archive restored', { restoreId, archiveId: m.archiveId, rows });
    }
    return result;
  }

  private async ensureTable(): Promise<void> {
    const s = `"${this.config.restoreDbSchema}"`;
    const a = `"${this.config.auditDbSchema}"`;
    // deploy/local/db-setup.js makes the schema for this role (which may not create schemas);
    // elsewhere (tests as superuser) it is made here.
    const [exists] = await this.ds.query(`SELECT to_regnamespace($1) IS NOT NULL AS ok`, [
      this.config.restoreDbSchema,
    ]);
    if (!exists.ok) await this.ds.query(`CREATE SCHEMA ${s}`);
    await this.ds.query(`
      CREATE TABLE IF NOT EXISTS ${this.t} (
        id bigint NOT NULL, event_id uuid NOT NULL, created_at timestamptz NOT NULL, user_id uuid, action text NOT NULL,
        ip_address inet, user_agent text, username text, outcome text NOT NULL, reason text, producer text NOT NULL,
        request_id text, actor_user_id text, actor_roles text[], details jsonb NOT NULL, pii_salt text,
        ip_digest text, user_agent_digest text, username_digest text, chain_id text NOT NULL, chain_seq bigint NOT NULL,
        prev_hash text NOT NULL, hash text NOT NULL, source_topic text, source_partition integer, source_offset bigint,
        ingested_at timestamptz NOT NULL,
        archive_id text NOT NULL, restore_id text NOT NULL, restored_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (archive_id, id)
      )`);
    await this.ds.query(
      `CREATE INDEX IF NOT EXISTS audit_logs_restored_created_at ON ${this.t} (created_at, id)`,
    );
    await this.ds.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_audit_ingest') THEN
          GRANT USAGE ON SCHEMA ${s} TO vigil_audit_ingest;
          GRANT SELECT ON ${this.t} TO vigil_audit_ingest;
        END IF;
      END $$`);
    void a;
  }

  private async load(c: PoolClient, m: ManifestRow, restoreId: string): Promise<number> {
    const problems: string[] = [];
    let batch: ArchivedRow[] = [];
    const flush = async () => {
      if (!batch.length) return;
      await c.query(
        `INSERT INTO ${this.t} SELECT r.id, r.event_id, r.created_at, r.user_id, r.action, r.ip_address, r.user_agent, r.username, r.outcome,
                r.reason, r.producer, r.request_id, r.actor_user_id, r.actor_roles, r.details, r.pii_salt, r.ip_digest, r.user_agent_digest,
                r.username_digest, r.chain_id, r.chain_seq, r.prev_hash, r.hash, r.source_topic, r.source_partition, r.source_offset,
                r.ingested_at, $2, $3, now()
           FROM jsonb_populate_recordset(NULL::${this.t}, $1::jsonb) r`,
        [JSON.stringify(batch), m.archiveId, restoreId],
      );
      batch = [];
    };
    // Per chain: seq → [hash, prev_hash], for the links and the cut (archives are not in chain order).
    const links = new Map<string, Map<number, [string, string]>>();
    const onRow = async (row: ArchivedRow) => {
      if (!wellFormed(row)) {
        if (problems.length < 20)
          problems.push(`a line is not an audit row: ${JSON.stringify(row).slice(0, 80)}`);
        return;
      }
      const computed = rowHash({
        chainId: row.chain_id,
        chainSeq: Number(row.chain_seq),
        eventId: row.event_id,
        createdAt: row.created_at,
        action: row.action,
        userId: row.user_id,
        outcome: row.outcome,
        reason: row.reason,
        producer: row.producer,
        requestId: row.request_id,
        actorUserId: row.actor_user_id,
        actorRoles: row.actor_roles,
        ipDigest: row.ip_digest,
        userAgentDigest: row.user_agent_digest,
        usernameDigest: row.username_digest,
        details: row.details,
        prevHash: row.prev_hash,
      });
      if (computed !== row.hash && problems.length < 20)
        problems.push(`row ${row.chain_id}#${row.chain_seq}: content does not hash to its stored hash`);
      let chain = links.get(row.chain_id);
      if (!chain) links.set(row.chain_id, (chain = new Map()));
      chain.set(Number(row.chain_seq), [row.hash, row.prev_hash]);
      batch.push(row);
      if (batch.length >= BATCH && !problems.length) await flush();
    };
    let summary;
    try {
      summary = await readArchive(await this.store.get(m.objectKey), onRow);
    } catch (err) {
      // gzip or JSON errors: a truncated or corrupted object (store errors keep their own type).
      if (err instanceof SyntaxError || (err as { code?: string }).code?.startsWith('Z_'))
        throw new RestoreRefused(
          `archive ${m.archiveId} is unreadable; nothing restored: ${(err as Error).message}`,
        );
      throw err;
    }
    if (!problems.length) await flush();
    for (const [chainId, chain] of links) {
      for (const [seq, [, prev]] of chain) {
        const before = chain.get(seq - 1);
        if (before && before[0] !== prev && problems.length < 20)
          problems.push(`row ${chainId}#${seq}: does not link to row ${seq - 1}`);
      }
    }
    problems.push(...compareSummaries({ rows: m.rows, sha256: m.sha256, chains: m.chains }, summary));
    const cuts = await c.query<{ chain_id: string; up_to_seq: string; last_hash: string }>(
      `SELECT chain_id, up_to_seq, last_hash FROM "${this.config.auditDbSchema}".chain_cuts WHERE chain_id = ANY($1::text[])`,
      [[...links.keys()]],
    );
    for (const cut of cuts.rows) {
      const row = links.get(cut.chain_id)?.get(Number(cut.up_to_seq));
      if (row && row[0] !== cut.last_hash)
        problems.push(`chain ${cut.chain_id}: row ${cut.up_to_seq} differs from its signed retention cut`);
    }
    if (problems.length)
      throw new RestoreRefused(
        `archive ${m.archiveId} does not verify; nothing restored: ${problems.slice(0, 5).join('; ')}`,
      );
    return summary.rows;
  }
}

/** The fields the hash and the restore table need, with their types. */
function wellFormed(r: ArchivedRow): boolean {
  const str = (v: unknown) => typeof v === 'string';
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  return (
    typeof r === 'object' &&
    r !== null &&
    str(r.chain_id) &&
    Number.isSafeInteger(Number(r.chain_seq)) &&
    str(r.event_id) &&
    str(r.created_at) &&
    str(r.action) &&
    str(r.outcome) &&
    str(r.producer) &&
    str(r.prev_hash) &&
    str(r.hash) &&
    strOrNull(r.user_id) &&
    strOrNull(r.reason) &&
    strOrNull(r.request_id) &&
    strOrNull(r.actor_user_id) &&
    (r.actor_roles === null || Array.isArray(r.actor_roles)) &&
    strOrNull(r.ip_digest) &&
    strOrNull(r.user_agent_digest) &&
    strOrNull(r.username_digest) &&
    r.details !== undefined
  );
}
