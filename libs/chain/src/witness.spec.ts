import { CHAIN, checkpointsFor, keyring, makeRows, signer, strangerSigner } from './testing/chain-fixtures';
import {
  compareWithWitness,
  parseWitnessLine,
  witnessLine,
  witnessRecordKey,
  type StoreChainState,
  type WitnessRecord,
} from './witness';

const rows = makeRows(30);
const cps = checkpointsFor(rows, [10, 20, 30]);
const published: WitnessRecord[] = cps.map((c) => ({ kind: 'checkpoint', ...c }));
const intact: StoreChainState = {
  checkpoints: cps,
  cuts: [],
  lastSeq: 30,
  lastCreatedAt: rows[29].createdAt,
  headPosition: 30,
};
const kinds = (s: { findings: Array<{ kind: string }> }) => s.findings.map((f) => f.kind);

describe('compareWithWitness', () => {
  it('finds nothing when the store holds every published checkpoint and reaches the latest', () => {
    const s = compareWithWitness(CHAIN, published, intact, keyring);
    expect(s).toMatchObject({ checkpoints: 3, cuts: 0, latestPosition: 30, findings: [] });
  });

  it('ignores checkpoints the store has but the witness has not seen yet (published later)', () => {
    expect(compareWithWitness(CHAIN, published.slice(0, 2), intact, keyring).findings).toEqual([]);
  });

  it('names a chain erased from the database with its checkpoints and head, and the range gone', () => {
    const s = compareWithWitness(CHAIN, published, { checkpoints: [], cuts: [] }, keyring);
    expect(kinds(s)).toEqual(['witness_checkpoint_missing', 'chain_missing']);
    const missing = s.findings[1];
    expect(missing).toMatchObject({ chainId: CHAIN, at: 1, to: rows[29].createdAt });
    expect(missing.detail).toContain('seq 1..30');
  });

  it('names a tail truncated with its later checkpoints deleted and its head reset: seq and time range', () => {
    const s = compareWithWitness(
      CHAIN,
      published,
      {
        checkpoints: cps.slice(0, 1),
        cuts: [],
        lastSeq: 12,
        lastCreatedAt: rows[11].createdAt,
        headPosition: 12,
      },
      keyring,
    );
    expect(kinds(s)).toEqual(['witness_checkpoint_missing', 'chain_truncated']);
    expect(s.findings[1]).toMatchObject({ at: 13, from: rows[11].createdAt, to: rows[29].createdAt });
    expect(s.findings[1].detail).toMatch(/rows end at seq 12 \(head at 12\).*seq 13\.\.30 missing/);
    expect(s.findings[0].detail).toMatch(
      /2 published checkpoint\(s\) missing from audit_checkpoints: positions 20\.\.30/,
    );
  });

  it('names checkpoints deleted on their own even though the rows are intact', () => {
    const s = compareWithWitness(CHAIN, published, { ...intact, checkpoints: [] }, keyring);
    expect(kinds(s)).toEqual(['witness_checkpoint_missing']);
  });

  it('names a stored checkpoint that differs from the published one (same chain and signing time)', () => {
    const rewritten = checkpointsFor(makeRows(30), [10, 20, 30]).map((c, i) => ({
      ...c,
      signedAt: cps[i].signedAt,
    }));
    const s = compareWithWitness(
      CHAIN,
      published,
      { ...intact, checkpoints: [cps[0], cps[1], rewritten[2]] },
      keyring,
    );
    expect(s.findings).toEqual([expect.objectContaining({ kind: 'witness_checkpoint_differs', at: 30 })]);
  });

  it('treats a forged published checkpoint as a finding, and lets it demand nothing of the store', () => {
    const forged: WitnessRecord = { kind: 'checkpoint', ...cps[2], position: 99 };
    const stranger = strangerSigner().sign({
      chainId: CHAIN,
      position: 50,
      headHash: 'f'.repeat(64),
      prevCheckpointHash: null,
      signedAt: '2026-01-03T00:00:00.000Z',
    });
    const s = compareWithWitness(
      CHAIN,
      [...published, forged, { kind: 'checkpoint', ...stranger }],
      intact,
      keyring,
    );
    expect(kinds(s).sort()).toEqual(['witness_bad_signature', 'witness_unknown_key']);
    expect(s.latestPosition).toBe(30);
  });

  it('only looks at the named chain', () => {
    const other = checkpointsFor(rows, [30], 'auth.events.v1:1').map((c): WitnessRecord => ({
      kind: 'checkpoint',
      ...c,
    }));
    expect(compareWithWitness(CHAIN, [...published, ...other], intact, keyring).findings).toEqual([]);
  });

  describe('with a retention cut', () => {
    const cut = signer.signRetentionCut({
      chainId: CHAIN,
      upToSeq: 30,
      lastHash: rows[29].hash!,
      lastCreatedAt: rows[29].createdAt,
      policy: 'hot-90d',
      cutAt: '2026-04-01T00:00:00.000Z',
    });
    const withCut: WitnessRecord[] = [...published, { kind: 'retention_cut', ...cut }];

    it('accepts a chain archived up to its latest checkpoint', () => {
      const s = compareWithWitness(
        CHAIN,
        withCut,
        { checkpoints: cps, cuts: [cut], headPosition: 30 },
        keyring,
      );
      expect(s).toMatchObject({ cuts: 1, findings: [] });
    });

    it('names a published cut missing from chain_cuts, or stored differently', () => {
      expect(kinds(compareWithWitness(CHAIN, withCut, { ...intact, cuts: [] }, keyring))).toEqual([
        'witness_cut_missing',
      ]);
      const other = signer.signRetentionCut({ ...cut, policy: 'hot-1d' });
      expect(kinds(compareWithWitness(CHAIN, withCut, { ...intact, cuts: [other] }, keyring))).toEqual([
        'witness_cut_differs',
      ]);
    });
  });
});

describe('witness lines', () => {
  it('round-trip both record kinds, and read bare checkpoint attributes as checkpoints', () => {
    const cut: WitnessRecord = {
      kind: 'retention_cut',
      ...signer.signRetentionCut({
        chainId: CHAIN,
        upToSeq: 3,
        lastHash: rows[2].hash!,
        policy: 'hot-90d',
        cutAt: '2026-04-01T00:00:00.000Z',
      }),
    };
    for (const r of [published[0], cut]) expect(parseWitnessLine(witnessLine(r))).toEqual(r);
    const { kind: _kind, ...bare } = published[1] as WitnessRecord & { kind: string };
    expect(parseWitnessLine(JSON.stringify(bare))).toEqual(published[1]);
    expect(witnessRecordKey(published[1])).toBe(`checkpoint|${CHAIN}|20|${cps[1].signedAt}`);
    expect(witnessRecordKey(cut)).toBe(`retention_cut|${CHAIN}|3|2026-04-01T00:00:00.000Z`);
  });

  it('refuses lines it cannot trust the shape of', () => {
    expect(() => parseWitnessLine('{"chainId":"x"}')).toThrow(/keyFingerprint|algorithm|signature/);
    expect(() => parseWitnessLine(JSON.stringify({ ...published[0], kind: 'other' }))).toThrow(
      /unknown kind/,
    );
    expect(() => parseWitnessLine(JSON.stringify({ ...published[0], position: '10' }))).toThrow(/position/);
  });
});
