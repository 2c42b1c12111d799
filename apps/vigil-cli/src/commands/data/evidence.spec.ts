import { buildManifest, sha256, sha256sums } from './evidence.command';
import { prettyBytes } from './db.command';
import { replaySummary } from './dlq.command';
import { hourRanges } from './retention.command';

describe('evidence manifest (seed 000-40)', () => {
  it('lists every file with its SHA-256, in sha256sum format too', () => {
    const files = [{ name: 'audit-logs.jsonl', what: 'rows', rows: 2, bytes: 4, sha256: sha256('a\nb\n') }];
    const m = buildManifest({ from: 'f', to: 't' }, files, null, new Date('2026-12-02T12:00:00Z'));
    expect(m).toMatchObject({
      kind: 'vigil-evidence',
      version: 1,
      createdAt: '2026-12-02T12:00:00.000Z',
      files,
      legalHold: null,
    });
    // printf 'a\nb\n' | sha256sum
    expect(files[0].sha256).toBe('911169ddaaf146aff539f58c26c489af3b892dff0fe283c1c264c65ae5aa59a2');
    expect(sha256sums(files)).toBe(`${files[0].sha256}  audit-logs.jsonl\n`);
  });
});

describe('small formats', () => {
  it('prints sizes like pg_size_pretty', () => {
    expect(prettyBytes(512)).toBe('512 B');
    expect(prettyBytes(8192)).toBe('8.0 kB');
    expect(prettyBytes(5 * 1024 ** 3)).toBe('5.0 GB');
  });
  it('summarises a DLQ replay by reason and topic', () => {
    expect(
      replaySummary(
        'x.dlq',
        {
          read: 3,
          total: 3,
          replayed: 2,
          filtered: 1,
          noOrigin: 0,
          byReason: { decode: 2 },
          byTopic: { x: 2 },
        },
        true,
      ),
    ).toBe(
      'x.dlq: read 3/3; would replay 2 (by reason: decode=2; to: x=2); filtered out 1; without an original topic 0',
    );
  });
  it('folds hours without rows into runs', () => {
    expect(hourRanges([])).toBe('none');
    expect(
      hourRanges([
        '2026-11-25T14:00:00.000Z',
        '2026-11-25T15:00:00.000Z',
        '2026-11-25T16:00:00.000Z',
        '2026-11-26T01:00:00.000Z',
      ]),
    ).toBe('4 hour(s): 2026-11-25T14:00Z .. 2026-11-25T16:00Z (3h), 2026-11-26T01:00Z');
  });
});
