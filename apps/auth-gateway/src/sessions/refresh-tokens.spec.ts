import { hashRefreshToken, newRefreshToken, openSuccessor, sealSuccessor } from './refresh-tokens';

describe('sealed successor of a rotated refresh token', () => {
  const predecessor = newRefreshToken().token;
  const successor = newRefreshToken().token;

  it('opens with the predecessor and gives the same successor back', () => {
    expect(openSuccessor(sealSuccessor(successor, predecessor), predecessor)).toBe(successor);
  });

  it('holds neither token, nor anything derivable from what the database stores', () => {
    const box = sealSuccessor(successor, predecessor);
    expect(box.includes(Buffer.from(successor))).toBe(false);
    expect(box.includes(Buffer.from(successor.slice(4), 'base64url'))).toBe(false);
    // the stored hash of the predecessor is not the key: used as if it were the token, it opens nothing
    expect(openSuccessor(box, hashRefreshToken(predecessor).toString('base64url'))).toBeUndefined();
    expect(sealSuccessor(successor, predecessor).equals(box)).toBe(false); // fresh IV each time
  });

  it('does not open with another token, nor once altered or truncated', () => {
    const box = sealSuccessor(successor, predecessor);
    expect(openSuccessor(box, newRefreshToken().token)).toBeUndefined();
    const flipped = Buffer.from(box);
    flipped[flipped.length - 1] ^= 1;
    expect(openSuccessor(flipped, predecessor)).toBeUndefined();
    expect(openSuccessor(box.subarray(0, 20), predecessor)).toBeUndefined();
  });
});
