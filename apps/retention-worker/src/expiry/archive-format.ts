import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { RedactableField, RedactMode } from '../policy/policy';

/**
 * An archive is gzip-compressed JSON Lines, one audit_logs row per line with the table's own
 * column names (so seed 001's SQL reads a restored table as written). Fields the policy redacts
 * are removed or reduced to their network before the rows leave the database, and the per-row
 * salt goes with them (it would let anyone brute-force a redacted IP from its digest); the
 * salted digests stay, so every row's hash still verifies.
 *
 * The rows leave PostgreSQL as a plain COPY (text format, TimeZone UTC) and become JSON here:
 * row_to_json in the database costs three times the COPY itself (measured, bench/results).
 */
/** `safe`: a value that cannot hold a quote, backslash or control character (hex, uuid, inet, codes). */
type FieldKind = 'safe' | 'str' | 'num' | 'ts' | 'json' | 'arr' | 'hex';

/**
 * The archived columns in line order (chain_id, chain_seq and hash first, so a read-back finds a
 * chain's ends without parsing the whole line), with how each is written as JSON.
 */
export const ARCHIVE_FIELDS: ReadonlyArray<readonly [string, FieldKind]> = [
  ['chain_id', 'safe'],
  ['chain_seq', 'num'],
  ['hash', 'safe'],
  ['prev_hash', 'safe'],
  ['id', 'num'],
  ['event_id', 'safe'],
  ['created_at', 'ts'],
  ['user_id', 'safe'],
  ['action', 'safe'],
  ['ip_address', 'safe'],
  ['user_agent', 'str'],
  ['username', 'str'],
  ['outcome', 'safe'],
  ['reason', 'str'],
  ['producer', 'safe'],
  ['request_id', 'str'],
  ['actor_user_id', 'str'],
  ['actor_roles', 'arr'],
  ['details', 'json'],
  ['pii_salt', 'hex'],
  ['ip_digest', 'safe'],
  ['user_agent_digest', 'safe'],
  ['username_digest', 'safe'],
  ['source_topic', 'safe'],
  ['source_partition', 'num'],
  ['source_offset', 'num'],
  ['ingested_at', 'ts'],
];

/** The select list, in ARCHIVE_FIELDS order, with the policy's redaction applied in SQL. */
export function exportColumns(redact: Partial<Record<RedactableField, RedactMode>>): string {
  const anyRedaction = Object.keys(redact).length > 0;
  return ARCHIVE_FIELDS.map(([c]) => {
    if (c === 'pii_salt') return anyRedaction ? `NULL::bytea AS pii_salt` : 'pii_salt';
    const mode = redact[c as RedactableField];
    if (mode === 'remove') return `NULL AS ${c}`;
    if (mode === 'network')
      return `host(network(set_masklen(ip_address, CASE family(ip_address) WHEN 4 THEN 24 ELSE 48 END))) AS ip_address`;
    if (c === 'ip_address') return 'host(ip_address) AS ip_address';
    return c;
  }).join(', ');
}

export const redactedFields = (redact: Partial<Record<RedactableField, RedactMode>>): string[] =>
  Object.keys(redact).length ? [...Object.keys(redact), 'pii_salt'].sort() : [];

const UNESCAPE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** A COPY text field without its backslash escapes (COPY TO emits only \b \f \n \r \t \v and \\). */
function unescapeCopy(s: string): string {
  return s.indexOf('\\') < 0 ? s : s.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c);
}

/** `2026-01-02 03:04:05.6+00` (TimeZone UTC) → `2026-01-02T03:04:05.600Z`, as the chain encodes event times. */
export function isoFromCopy(s: string): string {
  let frac = '000';
  if (s[19] === '.') {
    let end = 20;
    while (end < s.length && s[end] >= '0' && s[end] <= '9') end++;
    frac = (s.slice(20, end) + '000').slice(0, 3);
  }
  return `${s.slice(0, 10)}T${s.slice(11, 19)}.${frac}Z`;
}

/** A PostgreSQL text[] literal (`{admin,"a b"}`) as a JSON array. */
export function arrayFromCopy(s: string): string {
  const out: Array<string | null> = [];
  let i = 1;
  while (i < s.length - 1) {
    if (s[i] === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i++;
        v += s[i++];
      }
      out.push(v);
      i += 2; // the closing quote and the comma
    } else {
      const comma = s.indexOf(',', i);
      const end = comma < 0 ? s.length - 1 : comma;
      const v = s.slice(i, end);
      out.push(v === 'NULL' ? null : v);
      i = end + 1;
    }
  }
  return JSON.stringify(out);
}

/** `{"name":` / `,"name":` for each field, computed once. */
const PREFIX = ARCHIVE_FIELDS.map(([name], i) => `${i ? ',' : '{'}"${name}":`);
const KIND = ARCHIVE_FIELDS.map(([, kind]) => kind);
// eslint-disable-next-line no-control-regex
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f]/;

/** One COPY text line (fields in ARCHIVE_FIELDS order) as one JSON line. */
export function copyLineToJson(line: string): string {
  const fields = line.split('\t');
  if (fields.length !== KIND.length)
    throw new Error(`COPY row has ${fields.length} fields, expected ${KIND.length}`);
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const raw = fields[i];
    const kind = KIND[i];
    let v: string;
    if (raw === '\\N') v = 'null';
    else if (kind === 'num') v = raw;
    else if (kind === 'safe' && raw.indexOf('"') < 0 && raw.indexOf('\\') < 0) v = `"${raw}"`;
    else if (kind === 'safe' || kind === 'str')
      v = NEEDS_JSON_ESCAPE.test(raw) ? JSON.stringify(unescapeCopy(raw)) : `"${raw}"`;
    else if (kind === 'ts') v = `"${isoFromCopy(raw)}"`;
    else if (kind === 'json') v = unescapeCopy(raw);
    else if (kind === 'arr') v = arrayFromCopy(unescapeCopy(raw));
    else v = `"${unescapeCopy(raw).slice(2)}"`; // bytea \x...
    out += PREFIX[i] + v;
  }
  return `${out}}\n`;
}

/** COPY text in, JSON Lines out (a row may span chunks); `onRows` hears the count every `every` rows (progress). */
export function copyTextToJsonLines(onRows?: (rows: number) => void, every = 100_000): Transform {
  let rest = '';
  let rows = 0;
  let next = every;
  const utf8 = new StringDecoder('utf8'); // a character may be split across chunks
  return new Transform({
    readableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, done) {
      try {
        const text = rest + utf8.write(chunk);
        const last = text.lastIndexOf('\n');
        if (last < 0) {
          rest = text;
          return done();
        }
        rest = text.slice(last + 1);
        let out = '';
        let start = 0;
        while (start <= last) {
          const nl = text.indexOf('\n', start);
          out += copyLineToJson(text.slice(start, nl));
          start = nl + 1;
          rows++;
        }
        if (onRows && rows >= next) {
          next = rows + every;
          onRows(rows);
        }
        done(null, out);
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      done(rest ? new Error('COPY output ended inside a row') : null);
    },
  });
}

/** A chain's first and last row within one archive (or one partition's class, from the database). */
export interface ChainEnds {
  chainId: string;
  rows: number;
  firstSeq: number;
  firstHash: string;
  lastSeq: number;
  lastHash: string;
}

export interface ArchivedRow {
  id: string;
  event_id: string;
  created_at: string;
  user_id: string | null;
  action: string;
  ip_address: string | null;
  user_agent: string | null;
  username: string | null;
  outcome: string;
  reason: string | null;
  producer: string;
  request_id: string | null;
  actor_user_id: string | null;
  actor_roles: string[] | null;
  details: unknown;
  pii_salt: string | null;
  ip_digest: string | null;
  user_agent_digest: string | null;
  username_digest: string | null;
  chain_id: string;
  chain_seq: number;
  prev_hash: string;
  hash: string;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: number | null;
  ingested_at: string;
}

export interface ArchiveSummary {
  rows: number;
  bytes: number;
  sha256: string;
  chains: ChainEnds[];
}

/** The head every archived line starts with (ARCHIVE_FIELDS order). */
const LINE_HEAD = /^\{"chain_id":("(?:[^"\\]|\\.)*"),"chain_seq":(\d+),"hash":"([0-9a-f]{64})",/;

/**
 * Reads an archive back: SHA-256 and size of the compressed bytes as stored, every line
 * decompressed and counted, and each chain's ends. Without `onRow` a line is read only as far as
 * its chain, seq and hash (the object's SHA-256 already proves every byte is the one written);
 * with it (restore, hold scans) every line is parsed. A truncated or corrupted object fails here
 * (gzip, JSON or a line that does not start like a row), never passes.
 */
export async function readArchive(
  body: Readable,
  onRow?: (row: ArchivedRow) => void | Promise<void>,
): Promise<ArchiveSummary> {
  const hash = createHash('sha256');
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  body.on('error', (err) => gunzip.destroy(err));
  body.pipe(gunzip);
  const ends = new Map<string, ChainEnds>();
  let rows = 0;
  const note = (chainId: string, seq: number, rowHash: string) => {
    const e = ends.get(chainId);
    if (!e)
      ends.set(chainId, {
        chainId,
        rows: 1,
        firstSeq: seq,
        firstHash: rowHash,
        lastSeq: seq,
        lastHash: rowHash,
      });
    else {
      e.rows++;
      if (seq < e.firstSeq) Object.assign(e, { firstSeq: seq, firstHash: rowHash });
      if (seq > e.lastSeq) Object.assign(e, { lastSeq: seq, lastHash: rowHash });
    }
  };
  const parsed = async (line: string) => {
    const row = JSON.parse(line) as ArchivedRow;
    rows++;
    if (onRow) await onRow(row); // the restore judges each row itself
    if (typeof row?.chain_id === 'string' && typeof row.hash === 'string')
      note(row.chain_id, Number(row.chain_seq), row.hash);
    else if (!onRow) throw new Error(`line ${rows} is not an audit row`);
  };
  let carry: Buffer | undefined;
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      if (nl > start) {
        // Without onRow only the head is read: chain, seq and hash (the SHA-256 vouches for the rest).
        const head = onRow ? null : LINE_HEAD.exec(buf.toString('latin1', start, Math.min(nl, start + 320)));
        if (head && buf[nl - 1] === 0x7d) {
          rows++;
          note(JSON.parse(head[1]) as string, Number(head[2]), head[3]);
        } else await parsed(buf.toString('utf8', start, nl));
      }
      start = nl + 1;
    }
    carry = start < buf.length ? buf.subarray(start) : undefined;
  }
  if (carry?.length) throw new Error('the archive ends inside a line (truncated)');
  return {
    rows,
    bytes,
    sha256: hash.digest('hex'),
    chains: [...ends.values()].sort((a, b) => a.chainId.localeCompare(b.chainId)),
  };
}

export function compareSummaries(
  expected: { rows: number; sha256?: string; chains: ChainEnds[] },
  actual: ArchiveSummary,
): string[] {
  const out: string[] = [];
  if (expected.rows !== actual.rows) out.push(`rows: expected ${expected.rows}, archive has ${actual.rows}`);
  if (expected.sha256 && expected.sha256 !== actual.sha256)
    out.push(`sha256: expected ${expected.sha256}, archive is ${actual.sha256}`);
  const got = new Map(actual.chains.map((c) => [c.chainId, c]));
  for (const c of expected.chains) {
    const a = got.get(c.chainId);
    if (!a) {
      out.push(`chain ${c.chainId}: missing from the archive`);
      continue;
    }
    got.delete(c.chainId);
    if (a.rows !== c.rows) out.push(`chain ${c.chainId}: ${c.rows} rows expected, ${a.rows} archived`);
    if (a.firstSeq !== c.firstSeq || a.firstHash !== c.firstHash)
      out.push(`chain ${c.chainId}: first row differs (seq ${c.firstSeq} expected, ${a.firstSeq} archived)`);
    if (a.lastSeq !== c.lastSeq || a.lastHash !== c.lastHash)
      out.push(`chain ${c.chainId}: last row differs (seq ${c.lastSeq} expected, ${a.lastSeq} archived)`);
  }
  for (const extra of got.keys()) out.push(`chain ${extra}: in the archive but not expected`);
  return out;
}
