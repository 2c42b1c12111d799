import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Db, schemaOf } from '@vigil/database';
import type { EngineSnapshot } from '../engine/detection-engine';

export interface PartitionStateRow {
  /** Last input offset the state covers. */
  offset: string;
  /** IP stage: source partition -> last source offset applied (repartitioned duplicates are skipped). */
  sources: Record<string, string>;
  rulesVersion: number;
  state: EngineSnapshot;
}

export interface PartitionKey {
  groupId: string;
  topic: string;
  partition: number;
}

/** One stage partition's detection state in PostgreSQL, replaced in one statement after each step. */
@Injectable()
export class PartitionStateRepository {
  private readonly schema: string;
  private readonly db: Db;

  constructor(ds: DataSource) {
    this.schema = schemaOf(ds);
    this.db = Db.of(ds);
  }

  async load(k: PartitionKey): Promise<PartitionStateRow | undefined> {
    const rows = await this.db.rows<{
      input_offset: string;
      sources: Record<string, string>;
      rules_version: number;
      state: EngineSnapshot;
    }>(
      `SELECT input_offset::text AS input_offset, sources, rules_version, state FROM "${this.schema}".partition_state WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [k.groupId, k.topic, k.partition],
    );
    if (rows.length === 0) return undefined;
    return {
      offset: rows[0].input_offset,
      sources: rows[0].sources,
      rulesVersion: rows[0].rules_version,
      state: rows[0].state,
    };
  }

  /**
   * Saves unless the stored row is further along (another instance owns the partition now and has
   * moved on): then nothing is written and false comes back. `stateJson` is already serialised.
   */
  async save(
    k: PartitionKey,
    offset: string,
    sources: Record<string, string>,
    rulesVersion: number,
    stateJson: string,
  ): Promise<boolean> {
    const rows = await this.db.rows(
      `INSERT INTO "${this.schema}".partition_state AS p (group_id, topic, partition, input_offset, sources, rules_version, state, saved_at)
       VALUES ($1, $2, $3, $4::bigint, $5::jsonb, $6, $7::jsonb, now())
       ON CONFLICT (group_id, topic, partition) DO UPDATE
         SET input_offset = EXCLUDED.input_offset, sources = EXCLUDED.sources, rules_version = EXCLUDED.rules_version, state = EXCLUDED.state, saved_at = now()
         WHERE p.input_offset <= EXCLUDED.input_offset
       RETURNING 1`,
      [k.groupId, k.topic, k.partition, offset, JSON.stringify(sources), rulesVersion, stateJson],
    );
    return rows.length === 1;
  }
}
