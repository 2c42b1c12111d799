import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  ARCHIVE_FIELDS,
  arrayFromCopy,
  copyLineToJson,
  copyTextToJsonLines,
  isoFromCopy,
  readArchive,
} from './archive-format';

/** A COPY text row in ARCHIVE_FIELDS order from a partial record (missing fields are NULL). */
const copyRow = (r: Record<string, string>) => ARCHIVE_FIELDS.map(([n]) => r[n] ?? '\\N').join('\t');
const H = 'a'.repeat(64);

describe('archive format', () => {
  it('turns COPY text into JSON with its escapes, nulls, numbers, times, arrays, jsonb and bytea', () => {
    const line = copyRow({
      chain_id: 'auth.events.v1:2',
      chain_seq: '42',
      hash: H,
      prev_hash: 'b'.repeat(64),
      id: '9007199254740991',
      created_at: '2026-01-02 03:04:05.6+00',
      ingested_at: '2026-01-02 03:04:06+00',
      action: 'FAILED_AUTH_LOGIN',
      user_agent: 'tab\\there, newline\\nand a backslash \\\\ "quoted"',
      actor_roles: '{admin,"two words","back\\\\\\\\slash",NULL}',
      details: '{"a": "x\\\\ty", "n": 1}',
      pii_salt: '\\\\x00ff',
    });
    const j = JSON.parse(copyLineToJson(line));
    expect(j).toMatchObject({
      chain_id: 'auth.events.v1:2',
      chain_seq: 42,
      hash: H,
      id: 9007199254740991,
      created_at: '2026-01-02T03:04:05.600Z',
      ingested_at: '2026-01-02T03:04:06.000Z',
      user_agent: 'tab\there, newline\nand a backslash \\ "quoted"',
      actor_roles: ['admin', 'two words', 'back\\slash', null],
      details: { a: 'x\ty', n: 1 },
      pii_salt: '00ff',
      user_id: null,
    });
    expect(Object.keys(j)).toEqual(ARCHIVE_FIELDS.map(([n]) => n));
    expect(isoFromCopy('2026-01-02 03:04:05.123456+00')).toBe('2026-01-02T03:04:05.123Z');
    expect(arrayFromCopy('{}')).toBe('[]');
  });

  it('joins rows split across chunks and refuses a stream that ends inside a row', async () => {
    const text = [
      copyRow({
        chain_id: 'c',
        chain_seq: '1',
        hash: H,
        created_at: '2026-01-02 00:00:00+00',
        ingested_at: '2026-01-02 00:00:00+00',
      }),
      '',
    ]
      .join('\n')
      .repeat(3);
    const chunks = [text.slice(0, 17), text.slice(17, 200), text.slice(200)].map((s) => Buffer.from(s));
    let out = '';
    for await (const c of Readable.from(chunks).pipe(copyTextToJsonLines())) out += c;
    expect(out.trim().split('\n')).toHaveLength(3);
    // A multi-byte character split between two chunks survives.
    const utf = Buffer.from(
      copyRow({
        chain_id: 'c',
        chain_seq: '1',
        hash: H,
        username: 'zoë 🔐',
        created_at: '2026-01-02 00:00:00+00',
        ingested_at: '2026-01-02 00:00:00+00',
      }) + '\n',
    );
    const at = utf.indexOf(Buffer.from('🔐')) + 2;
    let one = '';
    for await (const c of Readable.from([utf.subarray(0, at), utf.subarray(at)]).pipe(copyTextToJsonLines()))
      one += c;
    expect(JSON.parse(one).username).toBe('zoë 🔐');
    const broken = Readable.from([Buffer.from(text.slice(0, 50))]).pipe(copyTextToJsonLines());
    await expect(
      (async () => {
        for await (const _ of broken) void _;
      })(),
    ).rejects.toThrow(/ended inside a row/);
  });

  it('reads an archive back: rows, chain ends and SHA-256; a truncated object fails', async () => {
    const lines = [3, 1, 2]
      .map((seq) =>
        copyLineToJson(
          copyRow({
            chain_id: 'c',
            chain_seq: String(seq),
            hash: String(seq).repeat(64),
            created_at: '2026-01-02 00:00:00+00',
            ingested_at: '2026-01-02 00:00:00+00',
          }),
        ),
      )
      .join('');
    const gz = gzipSync(lines);
    const s = await readArchive(Readable.from([gz]));
    expect(s).toMatchObject({
      rows: 3,
      bytes: gz.length,
      chains: [
        {
          chainId: 'c',
          rows: 3,
          firstSeq: 1,
          firstHash: '1'.repeat(64),
          lastSeq: 3,
          lastHash: '3'.repeat(64),
        },
      ],
    });
    await expect(readArchive(Readable.from([gz.subarray(0, gz.length - 10)]))).rejects.toThrow();
  });
});
