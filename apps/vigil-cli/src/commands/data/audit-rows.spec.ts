import { UsageError } from '../../errors';
import { cursorAfter, newestFirst, parseActions, rowKey, type AuditRow } from './audit-rows';

const row = (id: string, createdAt: string) => ({ id, createdAt }) as AuditRow;

describe('audit rows', () => {
  it('parses --action lists: upper case, SECURITY_* as a prefix, duplicates once', () => {
    expect(parseActions('deployment, SCHEMA_MIGRATION,DEPLOYMENT')).toEqual([
      'DEPLOYMENT',
      'SCHEMA_MIGRATION',
    ]);
    expect(parseActions('SECURITY_*')).toEqual(['SECURITY_%']);
    expect(parseActions(undefined)).toEqual([]);
    expect(() => parseActions('DROP TABLE')).toThrow(UsageError);
  });

  it("makes the API's keyset cursor for a row (base64url of createdAt|id)", () => {
    const c = cursorAfter({ createdAt: '2026-12-02T10:00:00.000Z', id: '42' });
    expect(Buffer.from(c, 'base64url').toString()).toBe('2026-12-02T10:00:00.000Z|42');
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('orders newest first, then by id (as bigints) descending', () => {
    const rows = [
      row('9', '2026-12-01T00:00:00.000Z'),
      row('10', '2026-12-02T00:00:00.000Z'),
      row('11', '2026-12-02T00:00:00.000Z'),
    ];
    expect(rows.sort(newestFirst).map((r) => r.id)).toEqual(['11', '10', '9']);
  });

  it('finds the keyset position of an exported JSONL or CSV line', () => {
    expect(
      rowKey(JSON.stringify({ id: '7', createdAt: '2026-12-02T10:00:00.000Z', action: 'X' }), 'jsonl'),
    ).toEqual({
      id: '7',
      createdAt: '2026-12-02T10:00:00.000Z',
    });
    expect(
      rowKey('7,0193e0f2-aaaa-7bbb-8ccc-123456789abc,2026-12-02T10:00:00.000Z,AUTH_LOGIN,"x,y"', 'csv'),
    ).toEqual({
      id: '7',
      createdAt: '2026-12-02T10:00:00.000Z',
    });
  });
});
