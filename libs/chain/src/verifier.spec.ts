import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { piiDigest, rowHash, type ChainedFields } from './canonical';
import { genesis, linkRows } from './chainer';
import { CheckpointSigner, checkpointHash, keyFingerprint, type SignedCheckpoint } from './checkpoint';
import { verifyChain, type StoredRow } from './verifier';

const CHAIN = 'auth.events.v1:0';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = new CheckpointSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const keyring = new Map([[keyFingerprint(publicKey), publicKey]]);

function makeRows(n: number): StoredRow[] {
  const base = Array.from({ length: n }, (_, i) => {
    const salt = randomBytes(16);
    const ip = `203.0.113.${i}`;
    return {
      eventId: `0190a1b2-0000-7000-8000-${String(i).padStart(12, '0')}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      action: i % 2 ? 'FAILED_AUTH_LOGIN' : 'AUTH_LOGIN',
      userId: `u-${i}`,
      outcome: i % 2 ? 'failure' : 'success',
      reason: null,
      producer: 'auth-gateway',
      requestId: `req-${i}`,
      actorUserId: null,
      actorRoles: null,
      ipDigest: piiDigest(salt, 'ip', ip),
      userAgentDigest: null,
      usernameDigest: piiDigest(salt, 'username', `user${i}@example.com`),
      details: { attemptCount: i, nested: { b: 1, a: [2, 1] } },
      ipAddress: ip,
      userAgent: null,
      username: `user${i}@example.com`,
      piiSalt: salt,
    };
  });
  return linkRows(genesis(CHAIN), base).rows;
}

function checkpointsFor(rows: StoredRow[], positions: number[]): SignedCheckpoint[] {
  let prev: string | null = null;
  return positions.map((p, i) => {
    const cp = signer.sign({
      chainId: CHAIN,
      position: p,
      headHash: p === 0 ? '0'.repeat(64) : rows[p - 1].hash!,
      prevCheckpointHash: prev,
      signedAt: new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString(),
    });
    prev = checkpointHash(cp);
    return cp;
  });
}

describe('ChainVerifier', () => {
  it('an untouched chain verifies: n/n rows, every checkpoint, and the clean time range', () => {
    const rows = makeRows(10);
    const r = verifyChain(CHAIN, rows, checkpointsFor(rows, [0, 5, 10]), keyring);
    expect(r).toMatchObject({ rows: 10, validRows: 10, checkpoints: 3, validCheckpoints: 3, findings: [] });
    expect(r.verifiedFrom).toBe(rows[0].createdAt);
    expect(r.verifiedTo).toBe(rows[9].createdAt);
  });

  it('names a modified row', () => {
    const rows = makeRows(5);
    rows[2] = { ...rows[2], outcome: 'denied' };
    const r = verifyChain(CHAIN, rows, [], keyring);
    expect(r.findings).toEqual([
      expect.objectContaining({ kind: 'modified', at: 3, eventId: rows[2].eventId }),
    ]);
    expect(r.validRows).toBe(4);
  });

  it('names a modified IP through its salted digest, but accepts a redacted one', () => {
    const rows = makeRows(3);
    rows[0] = { ...rows[0], ipAddress: '198.51.100.66' };
    rows[1] = { ...rows[1], ipAddress: null, username: null, piiSalt: null }; // erased on request
    const r = verifyChain(CHAIN, rows, [], keyring);
    expect(r.findings).toEqual([
      expect.objectContaining({ kind: 'modified', at: 1, detail: expect.stringContaining('ip') }),
    ]);
  });

  it('names deleted rows with the time range of the gap', () => {
    const rows = makeRows(6);
    const kept = [...rows.slice(0, 2), ...rows.slice(4)];
    const r = verifyChain(CHAIN, kept, [], keyring);
    expect(r.findings).toEqual([
      expect.objectContaining({ kind: 'deleted', at: 3, from: rows[1].createdAt, to: rows[4].createdAt }),
    ]);
    expect(r.findings[0].detail).toContain('2 row(s) missing');
  });

  it('names a row inserted outside the chain, and one forged with a duplicate sequence', () => {
    const rows = makeRows(4);
    const stranger = { ...rows[1], eventId: 'forged', hash: null };
    const dup = { ...rows[2], eventId: 'forged-2' };
    const r = verifyChain(CHAIN, [rows[0], rows[1], stranger, rows[2], dup, rows[3]], [], keyring);
    expect(r.findings.map((f) => [f.kind, f.eventId])).toEqual(
      expect.arrayContaining([
        ['inserted', 'forged'],
        ['inserted', 'forged-2'],
      ]),
    );
  });

  it('names reordered rows', () => {
    const rows = makeRows(5);
    const swapped = [rows[0], { ...rows[2], chainSeq: 2 }, { ...rows[1], chainSeq: 3 }, rows[3], rows[4]];
    const r = verifyChain(CHAIN, swapped, [], keyring);
    expect(r.findings.map((f) => f.kind)).toContain('modified');
    const rehashed = makeRows(5);
    // A rewrite that keeps every row self-consistent but links row 4 to row 2.
    const relinked = linkRows(genesis(CHAIN), rehashed.slice(0, 3)).rows;
    const relinkedTail = { ...rehashed[3], prevHash: relinked[1].hash };
    const tail = { ...relinkedTail, hash: rowHash(relinkedTail) };
    const r2 = verifyChain(CHAIN, [...relinked, tail], [], keyring);
    expect(r2.findings.map((f) => f.kind)).toEqual(expect.arrayContaining(['reordered']));
  });

  it('catches a superuser who rewrote the tail consistently, through the signed checkpoint', () => {
    const rows = makeRows(6);
    const cps = checkpointsFor(rows, [6]);
    const rewritten = linkRows(
      genesis(CHAIN),
      rows.map((r, i) => (i === 3 ? { ...r, outcome: 'denied' } : r)) as ChainedFields[] as never,
    ).rows as StoredRow[];
    const r = verifyChain(CHAIN, rewritten, cps, keyring);
    expect(r.validRows).toBe(6); // every row is self-consistent...
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'checkpoint_mismatch', at: 6 })]); // ...but not with what was signed
    expect(r.verifiedTo).toBeUndefined();
  });

  it('names a forged checkpoint and one signed by an unknown key', () => {
    const rows = makeRows(3);
    const [cp] = checkpointsFor(rows, [3]);
    const forged = { ...cp, headHash: 'f'.repeat(64) };
    const other = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const stranger = new CheckpointSigner(other).sign({
      chainId: CHAIN,
      position: 3,
      headHash: rows[2].hash!,
      prevCheckpointHash: null,
      signedAt: cp.signedAt,
    });
    expect(verifyChain(CHAIN, rows, [forged], keyring).findings.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['checkpoint_bad_signature']),
    );
    expect(verifyChain(CHAIN, rows, [stranger], keyring).findings.map((f) => f.kind)).toEqual([
      'checkpoint_unknown_key',
    ]);
  });

  it('notices rows deleted from the tail below a checkpoint', () => {
    const rows = makeRows(5);
    const r = verifyChain(CHAIN, rows.slice(0, 3), checkpointsFor(rows, [5]), keyring);
    expect(r.findings.map((f) => f.kind)).toEqual(['checkpoint_beyond_chain']);
  });
});
