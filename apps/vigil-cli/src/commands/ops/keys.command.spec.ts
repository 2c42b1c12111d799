import { formatKeys, staleSigningKey, type KeysView } from './keys.command';

const view = (ageDays: number): KeysView => ({
  signingKid: 'k2',
  nextRotationAt: null,
  keys: [
    { kid: 'k2', alg: 'EdDSA', state: 'signing', createdAt: 'c', activatesAt: 'a', ageDays, published: true },
    {
      kid: 'k1',
      alg: 'EdDSA',
      state: 'retiring',
      createdAt: 'c',
      activatesAt: 'a',
      ageDays: 400,
      published: true,
    },
  ],
});

describe('vigil keys list (seed 000-54: secret rotation verification)', () => {
  it('flags the signing key only when it is older than the limit (a retiring key may be older)', () => {
    expect(staleSigningKey(view(90), 90)).toBeUndefined();
    expect(staleSigningKey(view(91), 90)?.kid).toBe('k2');
  });

  it('prints one row per key and the next rotation', () => {
    const text = formatKeys(view(3));
    expect(text).toMatch(/^k2 +EdDSA +signing +3 /m);
    expect(text).toContain('next scheduled rotation: never');
  });
});
