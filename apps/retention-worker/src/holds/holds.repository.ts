import type { Queryable } from '@vigil/database';
import type { LegalHoldView } from '@vigil/contracts';

export type LegalHold = LegalHoldView;

/** The LEGAL_HOLD_SET / LEGAL_HOLD_RELEASED attributes of a hold. */
export function holdAttributes(h: LegalHold, reason: string) {
  return {
    holdId: h.holdId,
    ...(h.userId ? { userId: h.userId } : {}),
    ...(h.action ? { action: h.action } : {}),
    ...(h.from ? { from: h.from } : {}),
    ...(h.to ? { to: h.to } : {}),
    reason,
  };
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));

/** legal_holds in the audit schema (where the guard functions read them). */
export class HoldsRepository {
  constructor(private readonly schema: string) {}

  async insert(
    db: Queryable,
    h: {
      holdId: string;
      userId?: string;
      action?: string;
      from?: string;
      to?: string;
      reason: string;
      createdBy: string;
    },
  ): Promise<LegalHold> {
    const { rows } = await db.query(
      `INSERT INTO "${this.schema}".legal_holds (hold_id, user_id, action, from_ts, to_ts, reason, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [h.holdId, h.userId ?? null, h.action ?? null, h.from ?? null, h.to ?? null, h.reason, h.createdBy],
    );
    return toHold(rows[0]);
  }

  async list(db: Queryable, includeReleased: boolean): Promise<LegalHold[]> {
    const { rows } = await db.query(
      `SELECT * FROM "${this.schema}".legal_holds ${includeReleased ? '' : 'WHERE released_at IS NULL'} ORDER BY created_at`,
    );
    return rows.map(toHold);
  }

  async release(db: Queryable, holdId: string, by: string, reason: string): Promise<LegalHold | undefined> {
    const { rows } = await db.query(
      `UPDATE "${this.schema}".legal_holds SET released_at = now(), released_by = $2, release_reason = $3 WHERE hold_id = $1 AND released_at IS NULL RETURNING *`,
      [holdId, by, reason],
    );
    return rows[0] ? toHold(rows[0]) : undefined;
  }
}

function toHold(r: Record<string, unknown>): LegalHold {
  return {
    holdId: String(r.hold_id),
    userId: (r.user_id as string) ?? null,
    action: (r.action as string) ?? null,
    from: iso(r.from_ts),
    to: iso(r.to_ts),
    reason: String(r.reason),
    createdBy: String(r.created_by),
    createdAt: iso(r.created_at)!,
    releasedAt: iso(r.released_at),
    releasedBy: (r.released_by as string) ?? null,
    releaseReason: (r.release_reason as string) ?? null,
  };
}
