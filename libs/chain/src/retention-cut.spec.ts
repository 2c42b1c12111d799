import { CHAIN, checkpointsFor, keyring, makeRows, signer, strangerSigner } from './testing/chain-fixtures';
import { checkpointBytes } from './checkpoint';
import {
  RETENTION_CUT_DOMAIN,
  retentionCutBytes,
  retentionCutHash,
  verifyRetentionCut,
} from './retention-cut';

describe('signed retention cut', () => {
  const rows = makeRows(10);
  const body = {
    chainId: CHAIN,
    upToSeq: 4,
    lastHash: rows[3].hash!,
    lastCreatedAt: rows[3].createdAt,
    policy: 'hot-90d',
    cutAt: '2026-04-01T00:00:00.000Z',
  };

  it('verifies with the checkpoint keyring and names its key by fingerprint', () => {
    const cut = signer.signRetentionCut(body);
    expect(cut).toMatchObject({ ...body, keyFingerprint: signer.fingerprint, algorithm: 'ed25519' });
    expect(verifyRetentionCut(cut, keyring)).toBe('ok');
    expect(retentionCutHash(cut)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails when any signed field changes', () => {
    const cut = signer.signRetentionCut(body);
    for (const change of [
      { upToSeq: 5 },
      { lastHash: 'a'.repeat(64) },
      { policy: 'hot-1d' },
      { cutAt: '2026-04-02T00:00:00.000Z' },
      { chainId: 'auth.events.v1:1' },
      { lastCreatedAt: undefined },
    ]) {
      expect(verifyRetentionCut({ ...cut, ...change }, keyring)).toBe('bad_signature');
    }
    expect(verifyRetentionCut({ ...cut, signature: 'not base64 at all' }, keyring)).toBe('bad_signature');
  });

  it('names an unknown key', () => {
    expect(verifyRetentionCut(strangerSigner().signRetentionCut(body), keyring)).toBe('unknown_key');
  });

  it('is domain-separated from checkpoints: one signature never passes as the other', () => {
    expect(
      retentionCutBytes({ ...body, keyFingerprint: signer.fingerprint })
        .toString()
        .split('\n')[0],
    ).toBe(RETENTION_CUT_DOMAIN);
    const [cp] = checkpointsFor(rows, [4]);
    expect(checkpointBytes(cp).toString().split('\n')[0]).toBe('vigil.checkpoint.v1');
    const replayed = {
      ...body,
      keyFingerprint: cp.keyFingerprint,
      algorithm: 'ed25519' as const,
      signature: cp.signature,
    };
    expect(verifyRetentionCut(replayed, keyring)).toBe('bad_signature');
  });

  it('refuses to sign a cut that could not be verified later', () => {
    expect(() => signer.signRetentionCut({ ...body, upToSeq: 0 })).toThrow(/upToSeq >= 1/);
    expect(() => signer.signRetentionCut({ ...body, lastHash: 'xyz' })).toThrow(/hash/);
    expect(() => signer.signRetentionCut({ ...body, policy: 'hot\n90d' })).toThrow(/policy/);
  });
});
