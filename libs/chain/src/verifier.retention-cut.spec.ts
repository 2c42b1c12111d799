import { CHAIN, checkpointsFor, keyring, makeRows, signer, strangerSigner } from './testing/chain-fixtures';
import { verifyChain } from './verifier';

describe('ChainVerifier honouring a signed retention cut', () => {
  const rows = makeRows(20);
  const cutAt = '2026-04-01T00:00:00.000Z';
  const cutAt8 = {
    chainId: CHAIN,
    upToSeq: 8,
    lastHash: rows[7].hash!,
    lastCreatedAt: rows[7].createdAt,
    policy: 'hot-90d',
    cutAt,
  };

  it('reports rows up to the cut as archived, and checks row N+1 against the signed last hash', () => {
    const cps = checkpointsFor(rows, [5, 8, 20]);
    const r = verifyChain(CHAIN, rows.slice(8), cps, keyring, [signer.signRetentionCut(cutAt8)]);
    expect(r.findings).toEqual([]);
    expect(r.archived).toEqual({
      upToSeq: 8,
      lastHash: rows[7].hash,
      lastCreatedAt: rows[7].createdAt,
      policy: 'hot-90d',
      cutAt,
    });
    expect(r).toMatchObject({
      rows: 12,
      validRows: 12,
      validCheckpoints: 3,
      lastSeq: 20,
      verifiedFrom: rows[8].createdAt,
      verifiedTo: rows[19].createdAt,
    });
  });

  it('verifies a chain whose rows are still all there after the cut was signed (removal pending)', () => {
    const r = verifyChain(CHAIN, rows, checkpointsFor(rows, [20]), keyring, [
      signer.signRetentionCut(cutAt8),
    ]);
    expect(r.findings).toEqual([]);
    expect(r.validRows).toBe(20);
  });

  it('accepts a partly removed archived range (a partition dropped under the cut)', () => {
    const r = verifyChain(CHAIN, [...rows.slice(3, 5), ...rows.slice(8)], [], keyring, [
      signer.signRetentionCut(cutAt8),
    ]);
    expect(r.findings).toEqual([]);
  });

  it('still names rows missing after the cut, from the archived boundary', () => {
    const r = verifyChain(CHAIN, rows.slice(10), [], keyring, [signer.signRetentionCut(cutAt8)]);
    expect(r.findings).toEqual([
      expect.objectContaining({
        kind: 'deleted',
        at: 9,
        from: rows[7].createdAt,
        to: rows[10].createdAt,
        detail: expect.stringContaining('9..10'),
      }),
    ]);
  });

  it('names a row N+1 that does not link to the signed last hash', () => {
    const cut = signer.signRetentionCut({ ...cutAt8, lastHash: 'a'.repeat(64) });
    const r = verifyChain(CHAIN, rows.slice(8), [], keyring, [cut]);
    expect(r.findings.map((f) => [f.kind, f.at])).toEqual([['inserted', 9]]);
  });

  it('names a row N that differs from the cut while it is still stored', () => {
    const cut = signer.signRetentionCut({ ...cutAt8, lastHash: rows[6].hash! });
    const r = verifyChain(CHAIN, rows, [], keyring, [cut]);
    expect(r.findings.map((f) => f.kind)).toContain('cut_mismatch');
  });

  it('an unsigned removal of the same rows still fails: a forged cut or one by an unknown key excuses nothing', () => {
    const forged = {
      ...signer.signRetentionCut({ ...cutAt8, upToSeq: 2, lastHash: rows[1].hash! }),
      upToSeq: 8,
      lastHash: rows[7].hash!,
    };
    const bad = verifyChain(CHAIN, rows.slice(8), [], keyring, [forged]);
    expect(bad.findings.map((f) => f.kind)).toEqual(['deleted', 'cut_bad_signature']);
    expect(bad.findings[0].detail).toContain('8 row(s) missing: sequence 1..8');
    expect(bad.archived).toBeUndefined();
    const unknown = verifyChain(CHAIN, rows.slice(8), [], keyring, [
      strangerSigner().signRetentionCut(cutAt8),
    ]);
    expect(unknown.findings.map((f) => f.kind)).toEqual(['deleted', 'cut_unknown_key']);
    const none = verifyChain(CHAIN, rows.slice(8), [], keyring, []);
    expect(none.findings.map((f) => f.kind)).toEqual(['deleted']);
  });

  it('uses the latest of several valid cuts, and ignores a cut signed for another chain', () => {
    const early = signer.signRetentionCut({ ...cutAt8, upToSeq: 3, lastHash: rows[2].hash! });
    const other = signer.signRetentionCut({
      ...cutAt8,
      chainId: 'auth.events.v1:1',
      upToSeq: 15,
      lastHash: rows[14].hash!,
    });
    const r = verifyChain(CHAIN, rows.slice(8), [], keyring, [early, signer.signRetentionCut(cutAt8), other]);
    expect(r.archived?.upToSeq).toBe(8);
    expect(r.findings.map((f) => f.kind)).toEqual(['cut_bad_signature']);
  });

  it('checks a checkpoint at the cut against its signed hash, and one beyond the rows still fails', () => {
    const cps = checkpointsFor(rows, [8, 20]);
    const r = verifyChain(CHAIN, rows.slice(8, 15), cps, keyring, [signer.signRetentionCut(cutAt8)]);
    expect(r.findings.map((f) => [f.kind, f.at])).toEqual([['checkpoint_beyond_chain', 20]]);
    expect(r.validCheckpoints).toBe(1);
  });
});
