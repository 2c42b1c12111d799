import { generateKeyPairSync } from 'node:crypto';
import { sampleEvent } from '../../testing';
import { actionKeyId, signSecurityAction, verifySecurityAction } from './security-action.signature';

describe('security action signatures (issue 14 item 2)', () => {
  const monitor = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const ring = new Map([[actionKeyId(monitor.publicKey), monitor.publicKey]]);
  const now = new Date('2025-01-15T09:30:01.000Z');
  const policy = { now, clockSkewSeconds: 30, maxValiditySeconds: 600 };
  const unsigned = () => {
    const e = sampleEvent('SECURITY_ACTION');
    delete e.attributes.signature;
    return e;
  };
  const signed = (at = now, validitySeconds = 300) =>
    signSecurityAction(unsigned(), monitor.privateKey, { validitySeconds, now: at });

  it('accepts an action signed by a key in the ring, inside its validity', () => {
    expect(verifySecurityAction(signed(), ring, policy)).toEqual({
      ok: true,
      kid: actionKeyId(monitor.publicKey),
    });
  });

  it('refuses unsigned, unknown-key and forged actions', () => {
    expect(verifySecurityAction(unsigned(), ring, policy)).toMatchObject({ ok: false, reason: 'unsigned' });
    const byOther = signSecurityAction(unsigned(), other.privateKey, { validitySeconds: 300, now });
    expect(verifySecurityAction(byOther, ring, policy)).toMatchObject({ ok: false, reason: 'unknown_key' });
    const forged = {
      ...byOther,
      attributes: {
        ...byOther.attributes,
        signature: { ...byOther.attributes.signature!, kid: actionKeyId(monitor.publicKey) },
      },
    };
    expect(verifySecurityAction(forged, ring, policy)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    [
      'target',
      (e: ReturnType<typeof signed>) => ({
        ...e,
        attributes: { ...e.attributes, target: { kind: 'ip' as const, value: '198.51.100.1' } },
      }),
    ],
    ['id', (e: ReturnType<typeof signed>) => ({ ...e, id: '0190a1b2-0000-7000-8000-000000000099' })],
    ['dryRun', (e: ReturnType<typeof signed>) => ({ ...e, attributes: { ...e.attributes, dryRun: true } })],
    [
      'expiry',
      (e: ReturnType<typeof signed>) => ({
        ...e,
        attributes: {
          ...e.attributes,
          signature: { ...e.attributes.signature!, expiresAt: '2099-01-01T00:00:00.000Z' },
        },
      }),
    ],
  ])('a changed %s breaks the signature', (_field, change) => {
    expect(verifySecurityAction(change(signed()), ring, policy)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses expired, not-yet-valid and too-long-lived actions (clock skew tolerated)', () => {
    expect(verifySecurityAction(signed(new Date(now.getTime() - 320_000)), ring, policy)).toMatchObject({
      ok: true,
    });
    expect(verifySecurityAction(signed(new Date(now.getTime() - 331_000)), ring, policy)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(verifySecurityAction(signed(new Date(now.getTime() + 31_000)), ring, policy)).toMatchObject({
      ok: false,
      reason: 'not_yet_valid',
    });
    expect(verifySecurityAction(signed(now, 601), ring, policy)).toMatchObject({
      ok: false,
      reason: 'validity_too_long',
    });
  });
});
