import {
  decodeGlobalPartialsRecord,
  encodeGlobalPartialsRecord,
  MonitorTopics,
  repartitionSourceOf,
  RepartitionHeaders,
  type GlobalPartialsRecord,
} from '../index';

describe('the security-monitor internal topics', () => {
  it('are versioned names of their own', () => {
    expect(MonitorTopics).toEqual({
      IP_REPARTITION: 'monitor.repartition.ip.v1',
      GLOBAL_PARTIALS: 'monitor.partials.global.v1',
    });
  });

  it('read where a repartitioned record came from, when both headers are there', () => {
    const headers: Record<string, string> = {
      [RepartitionHeaders.SOURCE_PARTITION]: '2',
      [RepartitionHeaders.SOURCE_OFFSET]: '41',
    };
    expect(repartitionSourceOf((n) => headers[n])).toEqual({ partition: 2, offset: '41' });
    expect(
      repartitionSourceOf((n) => (n === RepartitionHeaders.SOURCE_OFFSET ? undefined : headers[n])),
    ).toBeUndefined();
  });
});

// The global stage's input: anything that is not a partial-counts record goes to its DLQ with a reason.
describe('decodeGlobalPartialsRecord', () => {
  const good: GlobalPartialsRecord = {
    v: 1,
    source: 2,
    upto: '41',
    maxT: 1736931800000,
    rules: [
      { id: 'r', version: 1, buckets: [[1, 2, 0, null]], tmax: 1736931800000, samples: [], values: [] },
    ],
  };

  it('accepts a partial-counts record, as encoded', () => {
    expect(decodeGlobalPartialsRecord(Buffer.from(encodeGlobalPartialsRecord(good)))).toEqual({
      ok: true,
      record: good,
    });
  });

  it.each<[string, Buffer, string]>([
    ['empty', Buffer.alloc(0), 'empty'],
    ['not JSON', Buffer.from('{"v":1,'), 'invalid_json'],
    ['an auth event', Buffer.from(JSON.stringify({ id: 'x', type: 'AUTH_LOGIN' })), 'schema_violation'],
    ['a negative source', Buffer.from(JSON.stringify({ ...good, source: -1 })), 'schema_violation'],
    [
      'a rule without buckets',
      Buffer.from(
        JSON.stringify({ ...good, rules: [{ id: 'r', version: 1, tmax: 0, samples: [], values: [] }] }),
      ),
      'schema_violation',
    ],
    ['an unknown key', Buffer.from(JSON.stringify({ ...good, extra: 1 })), 'schema_violation'],
    [
      'a __proto__ key',
      Buffer.from(`{"__proto__":{"polluted":1},${JSON.stringify(good).slice(1)}`),
      'schema_violation',
    ],
    [
      'an offset that is not a number',
      Buffer.from(JSON.stringify({ ...good, upto: '4e1' })),
      'schema_violation',
    ],
    ['no offset', Buffer.from(JSON.stringify({ ...good, upto: undefined })), 'schema_violation'],
    ...(
      [
        ['a bucket of the wrong arity', { buckets: [[1, 2, 0]] }],
        ['a bucket with a string count', { buckets: [[1, '2', 0, null]] }],
        ['a bucket with a negative count', { buckets: [[1, -2, 0, null]] }],
        ['a bucket index that is not an integer', { buckets: [[1.5, 2, 0, null]] }],
        ['a sample that is not [id, time]', { samples: [['e1']] }],
        ['a value that is not [value, time]', { values: [[{}, 1]] }],
        ['a rule with an unknown key', { constructor: 'x' }],
        ['an empty rule id', { id: '' }],
      ] as const
    ).map(([name, patch]): [string, Buffer, string] => [
      name,
      Buffer.from(JSON.stringify({ ...good, rules: [{ ...good.rules[0], ...patch }] })),
      'schema_violation',
    ]),
  ])('refuses %s', (_name, bytes, reason) => {
    expect(decodeGlobalPartialsRecord(bytes)).toMatchObject({ ok: false, reason });
  });
});
