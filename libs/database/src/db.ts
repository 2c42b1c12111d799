import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import { poolOf } from './data-source';

/** Anything that runs a parameterised statement: the pool or one transaction's client. */
export interface Queryable {
  query<R extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/**
 * Plain SQL over the service's pool: `rows()` for reads, `tx()` for a transaction on one client
 * (committed when the callback resolves, rolled back when it throws). Repositories take a
 * `Queryable`, so the same statement runs alone or inside a caller's transaction.
 */
export class Db implements Queryable {
  constructor(private readonly pool: Pool) {}

  static of(ds: DataSource): Db {
    const pool = poolOf(ds);
    if (!pool) throw new Error('DataSource is not initialised: no pool yet');
    return new Db(pool);
  }

  query<R extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }> {
    return this.pool.query<R>(sql, params);
  }

  async rows<R extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  /** Runs `fn` in one transaction; `settings` are SET LOCAL first (e.g. `{ lock_timeout: '2s' }`). */
  async tx<T>(fn: (c: PoolClient) => Promise<T>, settings: Record<string, string> = {}): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      for (const [k, v] of Object.entries(settings)) {
        if (!/^[a-z_]+$/.test(k)) throw new Error(`not a setting name: ${k}`);
        await c.query(`SELECT set_config($1, $2, true)`, [k, v]);
      }
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** A client of its own (for session-level advisory locks, COPY); release it when done. */
  connect(): Promise<PoolClient> {
    return this.pool.connect();
  }
}
