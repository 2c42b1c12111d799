import { Injectable } from '@nestjs/common';
import { Db, type Queryable } from '@vigil/database';

export interface MaintenanceRow {
  enabled: boolean;
  reason: string | null;
  changed_at: Date;
  changed_by: string | null;
}

/** `maintenance_mode`: one row, shared by every gateway instance. */
@Injectable()
export class MaintenanceModeRepository {
  constructor(private readonly db: Db) {}

  async read(): Promise<MaintenanceRow> {
    const [row] = await this.db.rows<MaintenanceRow>(
      `SELECT enabled, reason, changed_at, changed_by FROM maintenance_mode WHERE singleton`,
    );
    return row ?? { enabled: false, reason: null, changed_at: new Date(0), changed_by: null };
  }

  /** Sets the mode under the row lock; the state before, so a change that changes nothing emits nothing. */
  async set(
    q: Queryable,
    enabled: boolean,
    reason: string | null,
    by: string,
  ): Promise<{ before: MaintenanceRow; after: MaintenanceRow }> {
    const { rows: before } = await q.query<MaintenanceRow>(
      `SELECT enabled, reason, changed_at, changed_by FROM maintenance_mode WHERE singleton FOR UPDATE`,
    );
    const { rows } = await q.query<MaintenanceRow>(
      `INSERT INTO maintenance_mode (singleton, enabled, reason, changed_at, changed_by) VALUES (true, $1, $2, now(), $3)
       ON CONFLICT (singleton) DO UPDATE SET enabled = $1, reason = $2, changed_at = now(), changed_by = $3
       RETURNING enabled, reason, changed_at, changed_by`,
      [enabled, reason, by],
    );
    return {
      before: before[0] ?? { enabled: false, reason: null, changed_at: new Date(0), changed_by: null },
      after: rows[0],
    };
  }
}
