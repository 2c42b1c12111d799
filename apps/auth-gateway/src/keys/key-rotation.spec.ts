import { planKeys, type KeyMeta } from './key-rotation';

const MIN = 60_000;
const DAY = 1440 * MIN;
const opts = { accessTtlMs: 10 * MIN, clockSkewMs: MIN, rotationMs: 30 * DAY };

describe('signing-key rotation plan', () => {
  it('with no key, a rotation is due (generated at first start)', () => {
    expect(planKeys([], 0, opts)).toEqual({
      signing: undefined,
      published: [],
      prunable: [],
      rotationDue: true,
    });
  });

  it('publishes a new key before it signs, then keeps the old one until its last token expired', () => {
    const k1: KeyMeta = { kid: 'k1', createdAt: 0, activatesAt: 0 };
    const k2: KeyMeta = { kid: 'k2', createdAt: 30 * DAY, activatesAt: 30 * DAY + MIN };
    const keys = [k1, k2];
    const prepublished = planKeys(keys, 30 * DAY + 1000, opts);
    expect(prepublished).toMatchObject({ signing: 'k1', published: ['k1', 'k2'], rotationDue: false });

    const switched = planKeys(keys, k2.activatesAt + 5 * MIN, opts);
    expect(switched).toMatchObject({ signing: 'k2', published: ['k1', 'k2'], prunable: [] });

    const retired = planKeys(keys, k2.activatesAt + 11 * MIN, opts);
    expect(retired).toMatchObject({ signing: 'k2', published: ['k2'], prunable: ['k1'] });
  });

  it('is due again once the newest key is older than the rotation period, never when it is 0', () => {
    const keys = [{ kid: 'k1', createdAt: 0, activatesAt: 0 }];
    expect(planKeys(keys, 30 * DAY - 1, opts).rotationDue).toBe(false);
    expect(planKeys(keys, 30 * DAY, opts).rotationDue).toBe(true);
    expect(planKeys(keys, 3000 * DAY, { ...opts, rotationMs: 0 }).rotationDue).toBe(false);
  });

  it('a pending key counts as the newest, so two instances do not rotate twice', () => {
    const keys = [
      { kid: 'k1', createdAt: 0, activatesAt: 0 },
      { kid: 'k2', createdAt: 30 * DAY, activatesAt: 30 * DAY + MIN },
    ];
    expect(planKeys(keys, 30 * DAY + 10, opts).rotationDue).toBe(false);
  });
});
