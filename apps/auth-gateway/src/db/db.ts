import { Injectable } from '@nestjs/common';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { poolOf } from '@vigil/database';

export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  /** Rows affected (UPDATE/DELETE). */
  exec(text: string, params?: unknown[]): Promise<number>;
}

function wrap(client: Pool | PoolClient): Sql {
  return {
    query: async (text, params) => (await client.query(text, params)).rows,
    exec: async (text, params) => (await client.query(text, params)).rowCount ?? 0,
  };
}

/**
 * SQL on the service's own pool (the TypeORM DataSource's pg pool, search_path pinned to the
 * gateway schema). Transactions that change `users` through the API mark themselves, so the
 * out-of-band audit trigger leaves their events to the API.
 */
@Injectable()
export class Db implements Sql {
  constructor(private readonly dataSource: DataSource) {}

  private get pool(): Pool {
    const pool = poolOf(this.dataSource);
    if (!pool) throw new Error('database pool not initialised');
    return pool;
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<R[]> {
    return wrap(this.pool).query<R>(text, params);
  }

  exec(text: string, params?: unknown[]): Promise<number> {
    return wrap(this.pool).exec(text, params);
  }

  async tx<T>(fn: (sql: Sql) => Promise<T>, opts: { viaApi?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(opts.viaApi ? "BEGIN; SELECT set_config('vigil.change_channel', 'api', true)" : 'BEGIN');
      const result = await fn(wrap(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** A dedicated client for a long-running job (the relay), released by the caller. */
  connect(): Promise<PoolClient> {
    return this.pool.connect();
  }
}
