/*
 * What a backup consists of, as plain data: which pg_dump files, under which keys, and the
 * manifest that lists them. No I/O here (unit-tested in backup-plan.spec.ts).
 */

/** One table of a backed-up schema as the catalog shows it, with its row count in the backup's snapshot. */
export interface CatalogTable {
  schema: string;
  table: string;
  /** For a partition: its partitioned parent (e.g. `audit_logs`). */
  parent?: string;
  rows: number;
}

export type BackupFileKind = 'ddl' | 'partition' | 'data';

/** One pg_dump to run: what it holds and where it goes. */
export interface PlannedFile {
  key: string;
  kind: BackupFileKind;
  schema: string;
  /** The partition (kind `partition`). */
  table?: string;
  /** Rows in it where known: a partition's count; absent for DDL and for a schema's other data. */
  rows?: number;
  args: string[];
}

export interface ManifestFile {
  key: string;
  kind: BackupFileKind;
  schema: string;
  table?: string;
  rows?: number;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: 'vigil-backup/1';
  backupId: string;
  createdAt: string;
  finishedAt: string;
  database: string;
  serverVersion: string;
  pgDump: string;
  /** Where the files are (the archive store), for people reading it. */
  store: string;
  schemas: string[];
  /** The audit store's schema among them (the drill runs the verifier on it); absent if not backed up. */
  auditSchema?: string;
  files: ManifestFile[];
  partitions: Array<{ schema: string; parent: string; table: string; rows: number; key: string }>;
  /** Every table's row count in the backup's snapshot (partitioned parents excluded: their rows are in the partitions). */
  tables: Array<{ schema: string; table: string; rows: number }>;
}

export const BACKUP_PREFIX = 'backups/';
export const MANIFEST_NAME = 'manifest.json';

export const manifestKey = (backupId: string) => `${BACKUP_PREFIX}${backupId}/${MANIFEST_NAME}`;

/** Sortable by time, unique enough across instances: `20260102T020000Z-3fa9c1`. */
export function newBackupId(now: Date, random: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${random}`;
}

const quoted = (schema: string, table: string) => `"${schema}"."${table}"`;

/**
 * Per schema: its DDL (parent tables, partitions, functions, triggers, grants), then one data
 * file per partition, then one data file for the schema's other tables. A plain
 * `pg_restore -t audit_logs` of a whole-database dump restores only the empty parent (seed
 * 001-53); here each partition is its own file, listed and counted in the manifest.
 */
export function planBackup(
  backupId: string,
  schemas: string[],
  tables: CatalogTable[],
  snapshot?: string,
): PlannedFile[] {
  const common = ['--format=custom', '--no-password', ...(snapshot ? [`--snapshot=${snapshot}`] : [])];
  const files: PlannedFile[] = [];
  for (const schema of schemas) {
    const base = `${BACKUP_PREFIX}${backupId}/${schema}`;
    files.push({
      key: `${base}/schema.dump`,
      kind: 'ddl',
      schema,
      args: [...common, '--schema-only', `--schema="${schema}"`],
    });
    const partitions = tables
      .filter((t) => t.schema === schema && t.parent !== undefined)
      .sort((a, b) => a.table.localeCompare(b.table));
    for (const p of partitions) {
      files.push({
        key: `${base}/partitions/${p.table}.dump`,
        kind: 'partition',
        schema,
        table: p.table,
        rows: p.rows,
        args: [...common, '--data-only', `--table=${quoted(schema, p.table)}`],
      });
    }
    files.push({
      key: `${base}/data.dump`,
      kind: 'data',
      schema,
      args: [
        ...common,
        '--data-only',
        `--schema="${schema}"`,
        ...partitions.map((p) => `--exclude-table-data=${quoted(schema, p.table)}`),
      ],
    });
  }
  return files;
}

/** Complete backups (newest first) beyond `keep` that may go; never the newest one. */
export function backupsToPrune<T extends { backupId: string }>(completeNewestFirst: T[], keep: number): T[] {
  return completeNewestFirst.slice(Math.max(1, keep));
}

/** Differences between what the manifest says and what a restore holds: one line per mismatch. */
export function compareCounts(
  expected: Array<{ schema: string; table: string; rows: number }>,
  actual: Map<string, number>,
): string[] {
  const problems: string[] = [];
  for (const t of expected) {
    const got = actual.get(`${t.schema}.${t.table}`);
    if (got === undefined)
      problems.push(`${t.schema}.${t.table}: missing after restore (expected ${t.rows} rows)`);
    else if (got !== t.rows)
      problems.push(`${t.schema}.${t.table}: ${got} rows restored, manifest says ${t.rows}`);
  }
  return problems;
}

/** Reads a manifest, refusing anything that is not one (the drill trusts nothing it fetched). */
export function parseManifest(text: string): BackupManifest {
  const m = JSON.parse(text) as BackupManifest;
  if (m?.format !== 'vigil-backup/1' || !Array.isArray(m.files) || typeof m.backupId !== 'string') {
    throw new Error('not a vigil-backup/1 manifest');
  }
  for (const f of m.files) {
    if (
      typeof f.key !== 'string' ||
      !f.key.startsWith(`${BACKUP_PREFIX}`) ||
      !/^[0-9a-f]{64}$/.test(f.sha256)
    ) {
      throw new Error(`manifest file entry ${JSON.stringify(f.key)} is malformed`);
    }
  }
  return m;
}
