import type { ApiClient } from '../../api-client';
import { UsageError } from '../../errors';
import type { AuditLogView } from '@vigil/contracts';

/** A row of the audit query API (GET /api/v1/audit/logs). */
export type AuditRow = AuditLogView;

/** The audit API's filters, as the CLI's flags give them (one action per request). */
export interface AuditFilter {
  user_id?: string;
  action?: string;
  ip?: string;
  outcome?: string;
  actor_role?: string;
  from?: string;
  to?: string;
  source?: 'hot' | 'restored';
}

const PAGE_MAX = 1000;
/** The API's cap on one export request; longer exports continue from the last row's cursor. */
export const EXPORT_MAX = 100_000;

/** `--action A,B` → the list (each an action name, `SECURITY_%` style prefixes allowed). */
export function parseActions(value: string | undefined): string[] {
  if (!value) return [];
  const list = value
    .split(',')
    .map((a) => a.trim().toUpperCase())
    .filter(Boolean)
    .map((a) => (a.endsWith('*') ? `${a.slice(0, -1)}%` : a));
  for (const a of list)
    if (!/^[A-Z][A-Z0-9_]*%?$/.test(a))
      throw new UsageError(
        `--action ${a}: an action name such as FAILED_AUTH_LOGIN (SECURITY_* matches a prefix)`,
      );
  return [...new Set(list)];
}

/**
 * The keyset cursor the API issues for a row (base64url of `<createdAt>|<id>`, see the writer's
 * audit-query.repository.ts): lets an export longer than one request's cap continue after its last row.
 */
export function cursorAfter(row: { createdAt: string; id: string }): string {
  return Buffer.from(`${row.createdAt}|${row.id}`).toString('base64url');
}

/** Newest first, as the API orders: created_at, then id, both descending. */
export function newestFirst(a: AuditRow, b: AuditRow): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  const ai = BigInt(a.id);
  const bi = BigInt(b.id);
  return ai === bi ? 0 : ai < bi ? 1 : -1;
}

/**
 * Up to `limit` rows matching the filter, newest first, page by page. Several actions are one
 * query each (the API takes one), merged in the API's order.
 */
export async function searchRows(
  api: ApiClient,
  filter: AuditFilter,
  actions: string[],
  limit: number,
): Promise<AuditRow[]> {
  const perAction = actions.length ? actions : [undefined];
  const all: AuditRow[] = [];
  for (const action of perAction) {
    let cursor: string | undefined;
    let got = 0;
    for (;;) {
      const page = await api.get<{ items: AuditRow[]; nextCursor: string | null }>('api/v1/audit/logs', {
        query: { ...filter, action, limit: Math.min(PAGE_MAX, limit - got), cursor },
      });
      all.push(...page.items);
      got += page.items.length;
      if (!page.nextCursor || got >= limit) break;
      cursor = page.nextCursor;
    }
  }
  return all.sort(newestFirst).slice(0, limit);
}

/**
 * How many rows match (from the stats API's per-day counts), for a progress bar's total; undefined
 * when the filter is one the stats cannot count (user, IP, outcome, role, prefix, restored rows).
 */
export async function countRows(api: ApiClient, filter: AuditFilter): Promise<number | undefined> {
  if (!filter.from || filter.user_id || filter.ip || filter.outcome || filter.actor_role) return undefined;
  if (filter.source === 'restored' || filter.action?.endsWith('%')) return undefined;
  const stats = await api.get<{ buckets: Array<{ count: number }> }>('api/v1/audit/stats', {
    query: { bucket: 'day', from: filter.from, to: filter.to, action: filter.action },
  });
  return stats.buckets.reduce((n, b) => n + b.count, 0);
}

/** Where an export's lines go, and what it is told as rows arrive. */
export interface ExportSink {
  write(chunk: string): void | Promise<void>;
  onRows?(n: number): void;
}

/**
 * Streams rows as the API's export (`jsonl`, or `csv` with one header line), newest first, up to
 * `max` rows: requests of at most EXPORT_MAX rows each, the next continuing after the last row of
 * the previous. Returns the rows written.
 */
export async function exportRows(
  api: ApiClient,
  filter: AuditFilter,
  format: 'jsonl' | 'csv',
  max: number,
  sink: ExportSink,
): Promise<number> {
  let written = 0;
  let cursor: string | undefined;
  let first = true;
  for (;;) {
    const want = Math.min(EXPORT_MAX, max - written);
    const res = await api.stream('api/v1/audit/logs', {
      query: { ...filter, format, limit: want, cursor },
    });
    let got = 0;
    let last: { createdAt: string; id: string } | undefined;
    let header = format === 'csv';
    const decoder = new TextDecoder();
    let rest = '';
    const take = async (line: string) => {
      if (header) {
        header = false;
        if (first) await sink.write(`${line}\n`);
        return;
      }
      if (!line) return;
      await sink.write(`${line}\n`);
      got++;
      last = rowKey(line, format);
      sink.onRows?.(1);
    };
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) await take(l.replace(/\r$/, ''));
    }
    rest += decoder.decode();
    if (rest) await take(rest.replace(/\r$/, ''));
    first = false;
    written += got;
    if (got < want || written >= max || !last) return written;
    cursor = cursorAfter(last);
  }
}

/** The keyset position of an exported line: JSON's fields, or CSV's id (1st) and createdAt (3rd) columns. */
export function rowKey(line: string, format: 'jsonl' | 'csv'): { createdAt: string; id: string } {
  if (format === 'jsonl') {
    const r = JSON.parse(line) as AuditRow;
    return { createdAt: r.createdAt, id: r.id };
  }
  const cols = line.split(',', 3); // id, eventId and createdAt are never quoted
  return { id: cols[0], createdAt: cols[2] };
}
