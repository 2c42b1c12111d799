import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { schemaOf } from '@vigil/database';
import type { EngineSnapshot } from '../engine/detection-engine';

export interface StoredSnapshot {
  /** Input partition -> last offset the state covers. */
  offsets: Record<string, string>;
  rulesVersion: number;
  state: EngineSnapshot;
}

/** The engine's state in PostgreSQL: one row per (consumer group, input topic), replaced in one statement. */
@Injectable()
export class SnapshotRepository {
  private readonly schema: string;

  constructor(private readonly ds: DataSource) {
    this.schema = schemaOf(ds);
  }

  async load(groupId: string, topic: string): Promise<StoredSnapshot | undefined> {
    const rows = await this.ds.query(`SELECT offsets, rules_version, state FROM "${this.schema}".engine_snapshots WHERE group_id = $1 AND topic = $2`, [groupId, topic]);
    if (rows.length === 0) return undefined;
    return { offsets: rows[0].offsets, rulesVersion: rows[0].rules_version, state: rows[0].state };
  }

  /** `stateJson` is already serialised: the caller keeps the same text as its in-memory fallback. */
  async save(groupId: string, topic: string, offsets: Record<string, string>, rulesVersion: number, stateJson: string): Promise<void> {
    await this.ds.query(
      `INSERT INTO "${this.schema}".engine_snapshots (group_id, topic, offsets, rules_version, state, saved_at)
       VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, now())
       ON CONFLICT (group_id, topic) DO UPDATE SET offsets = EXCLUDED.offsets, rules_version = EXCLUDED.rules_version, state = EXCLUDED.state, saved_at = now()`,
      [groupId, topic, JSON.stringify(offsets), rulesVersion, stateJson],
    );
  }
}
