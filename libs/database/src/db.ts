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

/** How a transaction begins: its isolation level and whether it may write. */
export interface TxMode {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

/** A custom setting (`vigil.change_channel`) or a server one (`lock_timeout`): names only, never SQL. */
const SETTING_NAME = /^[a-z_]+(\.[a-z_]+)?$/;

/**
 * Plain SQL over the service's pool: `rows()` for reads, `tx()` for a transaction on one client
 * (committed when the callback resolves, rolled back when it throws). Repositories take a
 * `Queryable`, so the same statement runs alone or inside a caller's transaction. This is the one
 * data-access helper of every app.
 */
export class Db implements Queryable {
  private readonly resolve: () => Pool;

  /** The pool itself, or a function giving it (the DataSource's pool exists only once initialised). */
  constructor(pool: Pool | (() => Pool)) {
    this.resolve = typeof pool === 'function' ? pool : () => pool;
  }

  /**
   * Over a TypeORM DataSource's pool, looked up at each use: a Nest provider can be made before
   * the DataSource is initialised (the runtime initialises it later, retrying while PostgreSQL is down).
   */
  static of(ds: DataSource): Db {
    return new Db(() => {
      const pool = poolOf(ds);
      if (!pool) throw new Error('DataSource is not initialised: no pool yet');
      return pool;
    });
  }

  query<R extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }> {
    return this.resolve().query<R>(sql, params);
  }

  async rows<R extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]> {
    return (await this.resolve().query<R>(sql, params)).rows;
  }

  /**
   * Runs `fn` in one transaction; `settings` are SET LOCAL first (e.g. `{ lock_timeout: '2s' }`,
   * `{ 'vigil.change_channel': 'api' }`); `mode` sets the isolation level and read-only.
   */
  async tx<T>(
    fn: (c: PoolClient) => Promise<T>,
    settings: Record<string, string> = {},
    mode: TxMode = {},
  ): Promise<T> {
    const c = await this.resolve().connect();
    // A connection that cannot even roll back, or that the server dropped while it was checked out
    // (PostgreSQL stopping: 57P01, 'Connection terminated'), is destroyed, never handed to the next
    // caller. pg emits that drop as an 'error' event on the client between statements; without a
    // listener it would be an unhandled 'error' that kills the process. It is kept as the reason
    // the client is destroyed; the statement that meets the dead connection fails on its own.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken ??= err);
    c.on('error', onError);
    try {
      await c.query(beginOf(mode));
      for (const [k, v] of Object.entries(settings)) {
        if (!SETTING_NAME.test(k)) throw new Error(`not a setting name: ${k}`);
        await c.query(`SELECT set_config($1, $2, true)`, [k, v]);
      }
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      c.removeListener('error', onError);
      c.release(broken);
    }
  }

  /**
   * A client of its own (for session-level advisory locks, COPY); release it when done. While it is
   * checked out, the server dropping the connection is not an unhandled 'error' (see tx); its
   * release then destroys it.
   */
  async connect(): Promise<PoolClient> {
    const c = await this.resolve().connect();
    let broken: Error | undefined;
    const onError = (err: Error) => (broken ??= err);
    c.on('error', onError);
    // pg-pool gives each checkout its own release function: this wraps this checkout's only.
    const release = c.release.bind(c);
    c.release = ((err?: Error | boolean) => {
      c.removeListener('error', onError);
      return release(err ?? broken);
    }) as PoolClient['release'];
    return c;
  }
}

function beginOf(mode: TxMode): string {
  const isolation = mode.isolation ? ` ISOLATION LEVEL ${mode.isolation.toUpperCase()}` : '';
  return `BEGIN${isolation}${mode.readOnly ? ' READ ONLY' : ''}`;
}
