import type { Pool, PoolClient } from 'pg';
import { Db } from './db';

/** A pool of one fake client that records its statements; `fail` makes a statement throw. */
function fakePool(fail: (sql: string) => boolean = () => false) {
  const log: string[] = [];
  const released: unknown[] = [];
  const listeners = new Map<string, Array<(err: Error) => void>>();
  const client = {
    on: (event: string, fn: (err: Error) => void) =>
      void listeners.set(event, [...(listeners.get(event) ?? []), fn]),
    removeListener: (event: string, fn: (err: Error) => void) =>
      void listeners.set(
        event,
        (listeners.get(event) ?? []).filter((f) => f !== fn),
      ),
    emit: (event: string, err: Error) => {
      const fns = listeners.get(event) ?? [];
      if (fns.length === 0) throw err; // what an EventEmitter does with an unheard 'error'
      fns.forEach((f) => f(err));
    },
    listenerCount: (event: string) => (listeners.get(event) ?? []).length,
    query: async (sql: string, params?: unknown[]) => {
      log.push(params ? `${sql} ${JSON.stringify(params)}` : sql);
      if (fail(sql)) throw new Error(`failed: ${sql}`);
      return { rows: [], rowCount: 0 };
    },
    release: (err?: unknown) => void released.push(err),
  } as unknown as PoolClient;
  const pool = { connect: async () => client, query: client.query } as unknown as Pool;
  return { pool, log, released, client: client as unknown as PoolClient & FakeEvents };
}

interface FakeEvents {
  emit(event: string, err: Error): void;
  listenerCount(event: string): number;
}

describe('Db.tx', () => {
  it('begins with the mode, sets the settings locally, commits and releases the client', async () => {
    const { pool, log, released } = fakePool();
    const out = await new Db(pool).tx(
      async (c) => (await c.query('SELECT 1'), 'done'),
      { 'vigil.change_channel': 'api', lock_timeout: '2s' },
      { isolation: 'repeatable read', readOnly: true },
    );
    expect(out).toBe('done');
    expect(log).toEqual([
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      'SELECT set_config($1, $2, true) ["vigil.change_channel","api"]',
      'SELECT set_config($1, $2, true) ["lock_timeout","2s"]',
      'SELECT 1',
      'COMMIT',
    ]);
    expect(released).toEqual([undefined]);
  });

  it('rolls back when the work throws, and hands the client back', async () => {
    const { pool, log, released } = fakePool();
    await expect(new Db(pool).tx(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(log).toEqual(['BEGIN', 'ROLLBACK']);
    expect(released).toEqual([undefined]);
  });

  it('destroys a client that cannot even roll back', async () => {
    const { pool, released } = fakePool((sql) => sql === 'SELECT 1' || sql === 'ROLLBACK');
    await expect(new Db(pool).tx((c) => c.query('SELECT 1'))).rejects.toThrow('failed: SELECT 1');
    expect(released).toHaveLength(1);
    expect(released[0]).toBeInstanceOf(Error);
  });

  it('refuses a setting name that is not a name', async () => {
    const { pool } = fakePool();
    await expect(new Db(pool).tx(async () => 1, { "x'; DROP TABLE users; --": '1' })).rejects.toThrow(
      'not a setting name',
    );
  });

  it('over a DataSource, finds the pool at each use (none yet: a clear error)', async () => {
    const ds = { driver: {} } as unknown as Parameters<typeof Db.of>[0];
    const db = Db.of(ds);
    await expect(async () => db.rows('SELECT 1')).rejects.toThrow('not initialised');
  });
});

describe('a connection the server drops while it is checked out', () => {
  it('tx: the error event is heard (not an unhandled error), and the client is destroyed on release', async () => {
    const { pool, released, client } = fakePool();
    const dropped = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    await new Db(pool).tx(async () => {
      expect(() => client.emit('error', dropped)).not.toThrow();
    });
    expect(released).toEqual([dropped]);
    expect(client.listenerCount('error')).toBe(0);
  });

  it('connect: the same for a client of its own; its release removes the listener', async () => {
    const { pool, released, client } = fakePool();
    const c = await new Db(pool).connect();
    expect(() => client.emit('error', new Error('Connection terminated unexpectedly'))).not.toThrow();
    c.release();
    expect(released).toHaveLength(1);
    expect((released[0] as Error).message).toBe('Connection terminated unexpectedly');
    expect(client.listenerCount('error')).toBe(0);
  });
});
