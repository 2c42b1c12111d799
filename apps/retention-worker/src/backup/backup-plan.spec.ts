import {
  backupsToPrune,
  compareCounts,
  manifestKey,
  newBackupId,
  parseManifest,
  planBackup,
} from './backup-plan';

describe('planBackup', () => {
  const tables = [
    { schema: 'audit', table: 'audit_logs_20260102', parent: 'audit_logs', rows: 5 },
    { schema: 'audit', table: 'audit_logs_20260101', parent: 'audit_logs', rows: 3 },
    { schema: 'audit', table: 'chain_heads', rows: 2 },
    { schema: 'gateway', table: 'users', rows: 9 },
  ];

  it('seed 001-53: one DDL file per schema, one data file per partition, one for the rest excluding the partitions', () => {
    const files = planBackup('20260102T020000Z-abc123', ['gateway', 'audit'], tables, '00000003-1');
    expect(files.map((f) => [f.kind, f.key])).toEqual([
      ['ddl', 'backups/20260102T020000Z-abc123/gateway/schema.dump'],
      ['data', 'backups/20260102T020000Z-abc123/gateway/data.dump'],
      ['ddl', 'backups/20260102T020000Z-abc123/audit/schema.dump'],
      ['partition', 'backups/20260102T020000Z-abc123/audit/partitions/audit_logs_20260101.dump'],
      ['partition', 'backups/20260102T020000Z-abc123/audit/partitions/audit_logs_20260102.dump'],
      ['data', 'backups/20260102T020000Z-abc123/audit/data.dump'],
    ]);
    const auditData = files[5].args;
    expect(auditData).toEqual(
      expect.arrayContaining([
        '--data-only',
        '--schema="audit"',
        '--exclude-table-data="audit"."audit_logs_20260101"',
        '--exclude-table-data="audit"."audit_logs_20260102"',
      ]),
    );
    expect(files[3]).toMatchObject({ table: 'audit_logs_20260101', rows: 3 });
    expect(files[3].args).toEqual(
      expect.arrayContaining([
        '--format=custom',
        '--snapshot=00000003-1',
        '--table="audit"."audit_logs_20260101"',
      ]),
    );
    // Never a connection string in argv: the password goes through PGPASSWORD.
    expect(files.flatMap((f) => f.args).some((a) => a.includes('postgres://'))).toBe(false);
  });
});

describe('backupsToPrune', () => {
  const b = (id: string) => ({ backupId: id });
  it('keeps the newest BACKUP_KEEP, and never deletes the newest one', () => {
    expect(backupsToPrune([b('3'), b('2'), b('1')], 2)).toEqual([b('1')]);
    expect(backupsToPrune([b('3'), b('2')], 0)).toEqual([b('2')]);
    expect(backupsToPrune([b('3')], 1)).toEqual([]);
  });
});

describe('ids, manifests and counts', () => {
  it('makes sortable ids and manifest keys', () => {
    expect(newBackupId(new Date('2026-01-02T02:00:00.123Z'), 'abc123')).toBe('20260102T020000Z-abc123');
    expect(manifestKey('x')).toBe('backups/x/manifest.json');
  });

  it('refuses a manifest that is not one', () => {
    expect(() => parseManifest('{"format":"other"}')).toThrow('not a vigil-backup/1 manifest');
    expect(() =>
      parseManifest(
        JSON.stringify({
          format: 'vigil-backup/1',
          backupId: 'x',
          files: [{ key: '../etc/passwd', sha256: 'a'.repeat(64) }],
        }),
      ),
    ).toThrow('malformed');
  });

  it('names every table whose restored count differs', () => {
    const problems = compareCounts(
      [
        { schema: 'audit', table: 'audit_logs_20260101', rows: 3 },
        { schema: 'audit', table: 'audit_logs_20260102', rows: 5 },
        { schema: 'audit', table: 'chain_heads', rows: 2 },
      ],
      new Map([
        ['audit.audit_logs_20260101', 3],
        ['audit.audit_logs_20260102', 0],
      ]),
    );
    expect(problems).toEqual([
      'audit.audit_logs_20260102: 0 rows restored, manifest says 5',
      'audit.chain_heads: missing after restore (expected 2 rows)',
    ]);
  });
});
