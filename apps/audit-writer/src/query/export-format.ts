import type { AuditLogView } from './audit-query.repository';

export const CSV_COLUMNS: Array<keyof AuditLogView> = [
  'id',
  'eventId',
  'createdAt',
  'action',
  'userId',
  'ipAddress',
  'userAgent',
  'username',
  'outcome',
  'reason',
  'producer',
  'requestId',
  'actorUserId',
  'actorRoles',
  'chainId',
  'chainSeq',
  'details',
];

/** RFC 4180 quoting, and spreadsheet formula injection neutralised (a leading = + - @ is prefixed with '). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(row: AuditLogView): string {
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(',') + '\r\n';
}

export const CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n';
