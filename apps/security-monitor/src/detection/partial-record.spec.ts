import { decodePartialRecord } from './detection.service';

// The global stage's input: anything that is not a partial-counts record goes to its DLQ with a reason.
describe('decodePartialRecord', () => {
  const good = { v: 1, source: 2, upto: '41', maxT: 1736931800000, rules: [{ id: 'r', version: 1, buckets: [[1, 2, 0, null]], tmax: 1736931800000, samples: [], values: [] }] };

  it('accepts a partial-counts record', () => {
    expect(decodePartialRecord(Buffer.from(JSON.stringify(good)))).toMatchObject({ ok: true, event: good });
  });

  it.each([
    ['empty', Buffer.alloc(0), 'empty'],
    ['not JSON', Buffer.from('{"v":1,'), 'invalid_json'],
    ['an auth event', Buffer.from(JSON.stringify({ id: 'x', type: 'AUTH_LOGIN' })), 'schema_violation'],
    ['a negative source', Buffer.from(JSON.stringify({ ...good, source: -1 })), 'schema_violation'],
    ['a rule without buckets', Buffer.from(JSON.stringify({ ...good, rules: [{ id: 'r', version: 1, tmax: 0, samples: [], values: [] }] })), 'schema_violation'],
  ])('refuses %s', (_name, bytes, reason) => {
    expect(decodePartialRecord(bytes)).toMatchObject({ ok: false, reason });
  });
});
